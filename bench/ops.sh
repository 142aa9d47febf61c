#!/usr/bin/env bash
# Swift vs PyTorch on the same libtorch, in one run. Each round runs both sides once, in separate processes
# (a process is the unit that varies: thread start-up and memory placement differ per process), and the order
# alternates (Swift first in odd rounds, PyTorch first in even ones) so that drift hits both alike. Per op the
# ratio Swift / PyTorch is taken within each round; the recorded figure is the median of those ratios
# (target <= 1.05), printed with their min and max. The table is written to docs/benchmarks.md ("ops").
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-15}
ITERATIONS=${ITERATIONS:-10}
source bench/common.sh
bench_python .venv
if [[ -n "${LIBTORCH:-}" ]]; then
    echo "note: LIBTORCH is set; PyTorch here is still .venv's torch, so compare like with like" >&2
fi
swift_side() { "$SPF" bench ops --json --threads "$THREADS" --iterations "$ITERATIONS" >>"$out/swift.jsonl"; }
torch_side() { "$PY" bench/ops_torch.py --threads "$THREADS" --iterations "$ITERATIONS" 2>/dev/null >>"$out/torch.jsonl"; }
for round in $(seq "$ROUNDS"); do
    if (( round % 2 )); then swift_side; torch_side; else torch_side; swift_side; fi
done
"$PY" - "$out/swift.jsonl" "$out/torch.jsonl" "$THREADS" "$ROUNDS" "$ITERATIONS" <<'PYEOF'
import datetime, sys
sys.path.insert(0, "bench")
from report import cpu_name, median, paired_ratios, record_section
swift_path, torch_path, threads, rounds, iterations = sys.argv[1:]
rows = ["| op | Swift (ms) | PyTorch (ms) | ratio (median) | min | max |", "|---|---|---|---|---|---|"]
worst = 0
for op, (swift, ref, ratios) in paired_ratios(swift_path, torch_path).items():
    ratio = median(ratios)
    worst = max(worst, ratio)
    ms = median([r["median_ms"] for r in swift])
    ref_ms = median([r["median_ms"] for r in ref])
    rows.append(f"| {op} | {ms:.2f} | {ref_ms:.2f} | {ratio:.3f} | {min(ratios):.3f} | {max(ratios):.3f} |")
table = "\n".join(rows)
print(table)
print(f"worst median ratio {worst:.3f} (target <= 1.05)")
record_section("ops", f"## ops\n\n`bench/ops.sh` on {datetime.date.today()}: {cpu_name()}, {threads} threads, "
               f"libtorch 2.13.0+cpu, {rounds} rounds alternating which side goes first; each side's time in a "
               f"round is the median of {iterations} iterations in its own process; ratio = median over rounds "
               f"of Swift / PyTorch within the round (min and max show the spread); times are medians over "
               f"rounds.\n\n{table}\n\nWorst median ratio: {worst:.3f} (target <= 1.05).\n")
PYEOF
