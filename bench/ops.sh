#!/usr/bin/env bash
# Swift vs PyTorch on the same libtorch, in one run: the two sides alternate for ROUNDS rounds so that
# machine noise hits both alike; per op, each side's best round median is kept and the ratio printed
# (Swift / PyTorch; target <= 1.05). The table is written to docs/benchmarks.md (section "ops").
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
ITERATIONS=${ITERATIONS:-10}
THREADS=${THREADS:-$(nproc)}
scripts/setup.sh >/dev/null
swift build -c release --product spf >/dev/null
SPF="$(swift build -c release --show-bin-path)/spf"
PY=.venv/bin/python
if [[ -n "${LIBTORCH:-}" ]]; then
    echo "note: LIBTORCH is set; PyTorch here is still .venv's torch, so compare like with like" >&2
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "$ROUNDS"); do
    "$SPF" bench ops --json --threads "$THREADS" --iterations "$ITERATIONS" >>"$out/swift.jsonl"
    "$PY" bench/ops_torch.py --threads "$THREADS" --iterations "$ITERATIONS" 2>/dev/null >>"$out/torch.jsonl"
done
"$PY" - "$out/swift.jsonl" "$out/torch.jsonl" "$THREADS" "$ROUNDS" "$ITERATIONS" <<'PYEOF'
import datetime, sys
sys.path.insert(0, "bench")
from report import best_rows, cpu_name, record_section
swift_path, torch_path, threads, rounds, iterations = sys.argv[1:]
swift, torch_ = best_rows(swift_path), best_rows(torch_path)
rows = ["| op | Swift (ms) | PyTorch (ms) | ratio |", "|---|---|---|---|"]
worst = 0
for op, row in swift.items():
    ms, ref = row["median_ms"], torch_[op]["median_ms"]
    ratio = ms / ref
    worst = max(worst, ratio)
    rows.append(f"| {op} | {ms:.2f} | {ref:.2f} | {ratio:.3f} |")
table = "\n".join(rows)
print(table)
print(f"worst ratio {worst:.3f} (target <= 1.05)")
record_section("ops", f"## ops\n\n`bench/ops.sh` on {datetime.date.today()}: {cpu_name()}, {threads} threads, "
               f"libtorch 2.13.0+cpu, best of {rounds} alternating rounds, each the median of {iterations} "
               f"iterations.\n\n{table}\n\nWorst ratio: {worst:.3f} (target <= 1.05).\n")
PYEOF
