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
import collections, datetime, json, pathlib, platform, re, sys
swift_path, torch_path, threads, rounds, iterations = sys.argv[1:]
def best(path):
    result = collections.OrderedDict()
    for line in open(path):
        row = json.loads(line)
        result[row["op"]] = min(result.get(row["op"], float("inf")), row["median_ms"])
    return result
swift, torch_ = best(swift_path), best(torch_path)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.machine())
rows = ["| op | Swift (ms) | PyTorch (ms) | ratio |", "|---|---|---|---|"]
worst = 0
for op, ms in swift.items():
    ratio = ms / torch_[op]
    worst = max(worst, ratio)
    rows.append(f"| {op} | {ms:.2f} | {torch_[op]:.2f} | {ratio:.3f} |")
table = "\n".join(rows)
print(table)
print(f"worst ratio {worst:.3f} (target <= 1.05)")
section = (f"## ops\n\n`bench/ops.sh` on {datetime.date.today()}: {cpu}, {threads} threads, libtorch 2.13.0+cpu, "
           f"best of {rounds} alternating rounds, each the median of {iterations} iterations.\n\n{table}\n\n"
           f"Worst ratio: {worst:.3f} (target <= 1.05).\n")
doc = pathlib.Path("docs/benchmarks.md")
text = doc.read_text() if doc.exists() else "# Benchmarks\n\nRatios are Swift / PyTorch measured side by side in one run.\n\n"
if "## ops\n" in text:
    text = re.sub(r"## ops\n.*?(?=\n## |\Z)", section.rstrip("\n") + "\n", text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section
doc.write_text(text)
PYEOF
