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
import datetime, sys
sys.path.insert(0, "bench")
from report import best_rows, cpu_name, record_section
swift_path, torch_path, threads, rounds = sys.argv[1:]
swift, ref = best_rows(swift_path), best_rows(torch_path)
rows = ["| task | Swift (s) | diffusers (s) | ratio | Swift peak RSS (MB) | diffusers peak RSS (MB) |",
        "|---|---|---|---|---|---|"]
for op, row in swift.items():
    r = ref[op]
    rows.append(f"| {op} | {row['median_ms'] / 1000:.2f} | {r['median_ms'] / 1000:.2f} | "
                f"{row['median_ms'] / r['median_ms']:.3f} | {row['peak_rss_mb']} | {r['peak_rss_mb']} |")
table = "\n".join(rows)
print(table)
record_section("unet", f"## unet\n\n`bench/unet.sh` on {datetime.date.today()}: {cpu_name()}, {threads} threads, "
               f"libtorch 2.13.0+cpu, diffusers 0.42.1, best of {rounds} alternating rounds. unet_train: SD 1.5 "
               f"UNet forward+backward, batch 1, 64x64 latents, every parameter trainable. unet_sample: 20 DDIM "
               f"steps with CFG (UNet batch 2), 32x32 latents.\n\n{table}\n\nTarget ratio <= 1.0.\n")
PYEOF
