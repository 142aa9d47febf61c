#!/usr/bin/env bash
# Swift vs PyTorch on the same libtorch, in one run: both sides as long-lived processes taking turns per
# iteration (bench/pingpong.py: A then B, the order swapped every round, a short rest before each turn), so a
# drift of the machine hits both within a second. Per op the ratio Swift / PyTorch is taken within each round;
# the recorded figure is the median of those ratios (target <= 1.05), printed with min, quartiles and max, and
# the same median for process CPU time (which time stolen by the hypervisor or neighbours does not inflate).
# The table is written to docs/benchmarks.md ("ops").
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-40}
WARMUP=${WARMUP:-3}
source bench/common.sh
bench_python .venv
if [[ -n "${LIBTORCH:-}" ]]; then
    echo "note: LIBTORCH is set; PyTorch here is still .venv's torch, so compare like with like" >&2
fi
"$PY" bench/pingpong.py --rounds "$ROUNDS" --warm-up "$WARMUP" --out "$out/ops.jsonl" \
    --a "'$SPF' bench ops --serve --threads $THREADS" --b "'$PY' bench/ops_torch.py --serve --threads $THREADS"
"$PY" - "$out/ops.jsonl" "$THREADS" "$ROUNDS" <<'PYEOF'
import datetime, json, sys
sys.path.insert(0, "bench")
from report import cpu_name, median, quartiles, record_section
path, threads, rounds = sys.argv[1:]
rows = ["| op | Swift (ms) | PyTorch (ms) | ratio (median) | min | quartiles | max | CPU-time ratio (median) |",
        "|---|---|---|---|---|---|---|---|"]
worst = 0
for line in open(path):
    op = json.loads(line)
    ratios = [a / b for a, b in zip(op["a_wall"], op["b_wall"])]
    cpu = [a / b for a, b in zip(op["a_cpu"], op["b_cpu"])]
    ratio = median(ratios)
    worst = max(worst, ratio)
    q1, q3 = quartiles(ratios)
    rows.append(f"| {op['op']} | {1000 * median(op['a_wall']):.2f} | {1000 * median(op['b_wall']):.2f} | {ratio:.3f} "
                f"| {min(ratios):.3f} | {q1:.3f}-{q3:.3f} | {max(ratios):.3f} | {median(cpu):.3f} |")
table = "\n".join(rows)
print(table)
print(f"worst median ratio {worst:.3f} (target <= 1.05)")
record_section("ops", f"## ops\n\n`bench/ops.sh` on {datetime.date.today()}: {cpu_name()}, {threads} threads, "
               f"libtorch 2.13.0+cpu; both sides long-lived, taking turns per iteration (bench/pingpong.py, "
               f"{rounds} rounds, the order swapped every round); ratio = median over rounds of Swift / PyTorch "
               f"within the round (min, quartiles and max show the spread; the CPU-time column is the same median "
               f"for process CPU time); times are medians over rounds.\n\n{table}\n\n"
               f"Worst median ratio: {worst:.3f} (target <= 1.05).\n")
PYEOF
