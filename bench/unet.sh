#!/usr/bin/env bash
# SD 1.5 UNet, Swift vs diffusers on the same libtorch, in one run: forward+backward at batch 1, 64x64
# latents (all parameters trainable), and a 20-step DDIM loop with classifier-free guidance at 32x32
# latents. Each round runs both sides once per task, in separate processes, alternating which goes first; the
# recorded ratio is the median over rounds of Swift / diffusers within a round (target <= 1.0), printed with
# min and max. Peak resident memory of each process is reported.
# Writes the table to docs/benchmarks.md (section "unet"). Needs .venv-reference (make fixtures).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
TASKS=${TASKS:-train sample}
SECTION=${SECTION:-unet}
source bench/common.sh
bench_python .venv-reference
for round in $(seq "$ROUNDS"); do
    for task in $TASKS; do
        swift_side() { "$SPF" bench unet --task "$task" --threads "$THREADS" >>"$out/swift.jsonl"; }
        torch_side() { "$PY" bench/unet_torch.py --task "$task" --threads "$THREADS" 2>/dev/null >>"$out/torch.jsonl"; }
        if (( round % 2 )); then swift_side; torch_side; else torch_side; swift_side; fi
    done
done
"$PY" - "$out/swift.jsonl" "$out/torch.jsonl" "$THREADS" "$ROUNDS" "$SECTION" <<'PYEOF'
import datetime, sys
sys.path.insert(0, "bench")
from report import cpu_name, median, paired_ratios, record_section
swift_path, torch_path, threads, rounds, section = sys.argv[1:]
rows = ["| task | Swift (s) | diffusers (s) | ratio (median) | min | max | Swift peak RSS (MB) | diffusers peak RSS (MB) |",
        "|---|---|---|---|---|---|---|---|"]
for op, (swift, ref, ratios) in paired_ratios(swift_path, torch_path).items():
    rows.append(f"| {op} | {median([r['median_ms'] for r in swift]) / 1000:.2f} | "
                f"{median([r['median_ms'] for r in ref]) / 1000:.2f} | {median(ratios):.3f} | {min(ratios):.3f} | "
                f"{max(ratios):.3f} | {max(r['peak_rss_mb'] for r in swift)} | {max(r['peak_rss_mb'] for r in ref)} |")
table = "\n".join(rows)
print(table)
what = {"unet": "unet_train: SD 1.5 UNet forward+backward, batch 1, 64x64 latents, every parameter trainable. "
                "unet_sample: 20 DDIM steps with CFG (UNet batch 2), 32x32 latents.",
        "training": "One optimizer step of spf train vs diffusers' train_text_to_image(_lora).py logic at SD 1.5 size "
                    "(batch 1, 64x64 latents): MSE loss, backward, clip_grad_norm_(1), AdamW, grads to none; "
                    "unet_train_cross_attention trains the attn2 weights, unet_train_lora rank-4 adapters (PEFT on "
                    "the diffusers side)."}[section]
record_section(section, f"## {section}\n\n`{'bench/train.sh' if section == 'training' else 'bench/unet.sh'}` on {datetime.date.today()}: {cpu_name()}, {threads} threads, "
               f"libtorch 2.13.0+cpu, diffusers 0.42.1, {rounds} rounds alternating which side goes first; ratio = "
               f"median over rounds of Swift / diffusers within the round. {what}\n\n{table}\n\nTarget ratio <= 1.0.\n")
PYEOF
