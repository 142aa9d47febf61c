#!/usr/bin/env bash
# SD 1.5 UNet, Swift vs diffusers on the same libtorch, in one run: forward+backward at batch 1, 64x64
# latents (all parameters trainable), and a 20-step DDIM loop with classifier-free guidance at 32x32
# latents. Sides alternate for ROUNDS rounds; the best time of each side is kept; the ratio is
# Swift / diffusers (target <= 1.0). Peak resident memory of each process is reported.
# Writes the table to docs/benchmarks.md (section "unet"). Needs .venv-reference (make fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-2}
THREADS=${THREADS:-$(nproc)}
scripts/setup.sh >/dev/null
swift build -c release --product spf >/dev/null
SPF="$(swift build -c release --show-bin-path)/spf"
PY=.venv-reference/bin/python
[[ -x $PY ]] || { echo "error: $PY missing: run tools/reference/make_fixtures.sh first (it builds the reference venv)" >&2; exit 1; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for round in $(seq "$ROUNDS"); do
    for task in train sample; do
        "$SPF" bench unet --task "$task" --threads "$THREADS" >>"$out/swift.jsonl"
        "$PY" bench/unet_torch.py --task "$task" --threads "$THREADS" 2>/dev/null >>"$out/torch.jsonl"
    done
done
"$PY" - "$out/swift.jsonl" "$out/torch.jsonl" "$THREADS" "$ROUNDS" <<'PYEOF'
import collections, datetime, json, pathlib, re, sys
swift_path, torch_path, threads, rounds = sys.argv[1:]
def best(path):
    result = collections.OrderedDict()
    for line in open(path):
        row = json.loads(line)
        old = result.get(row["op"])
        if old is None or row["median_ms"] < old["median_ms"]:
            result[row["op"]] = row
    return result
swift, ref = best(swift_path), best(torch_path)
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rows = ["| task | Swift (s) | diffusers (s) | ratio | Swift peak RSS (MB) | diffusers peak RSS (MB) |",
        "|---|---|---|---|---|---|"]
for op, row in swift.items():
    r = ref[op]
    rows.append(f"| {op} | {row['median_ms'] / 1000:.2f} | {r['median_ms'] / 1000:.2f} | "
                f"{row['median_ms'] / r['median_ms']:.3f} | {row['peak_rss_mb']} | {r['peak_rss_mb']} |")
table = "\n".join(rows)
print(table)
section = (f"## unet\n\n`bench/unet.sh` on {datetime.date.today()}: {cpu}, {threads} threads, libtorch 2.13.0+cpu, "
           f"diffusers 0.42.1, best of {rounds} alternating rounds. unet_train: SD 1.5 UNet forward+backward, "
           f"batch 1, 64x64 latents, every parameter trainable. unet_sample: 20 DDIM steps with CFG (UNet batch 2), "
           f"32x32 latents.\n\n{table}\n\nTarget ratio <= 1.0.\n")
doc = pathlib.Path("docs/benchmarks.md")
text = doc.read_text() if doc.exists() else "# Benchmarks\n\nRatios are Swift / PyTorch measured side by side in one run.\n\n"
if "## unet\n" in text:
    text = re.sub(r"## unet\n.*?(?=\n## |\Z)", section.rstrip("\n") + "\n", text, flags=re.S)
else:
    text = text.rstrip("\n") + "\n\n" + section
doc.write_text(text)
PYEOF
