#!/usr/bin/env bash
# One SPF-Portrait stage-2 optimizer step (bench/spf_torch.py's docstring says what it does), Swift beside two
# PyTorch implementations on the same libtorch: "reference" doing the same work on the same cached inputs (target
# ratio <= 1.0) and "straightforward", written from the paper (deep-copied UNet, VAE and text encoding every step,
# full attention probabilities kept; target ratio <= 0.7). Sizes: the world model (16x16 latents) and a randomly
# initialised SD 1.5 UNet (64x64 latents). Each round runs the three in separate processes, rotating which goes
# first; the recorded ratios are medians over rounds of the within-round ratios, with min and max; peak resident
# memory of each process is printed. Writes docs/benchmarks.md (section "spf"). Needs .venv-reference.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
SD15_ROUNDS=${SD15_ROUNDS:-1}
source bench/common.sh
bench_python .venv-reference
run_round() {  # size round
    local sides=(swift reference straightforward) i
    for i in 0 1 2; do
        case ${sides[$(( (i + $2) % 3 ))]} in
            swift) "$SPF" bench spf --size "$1" --threads "$THREADS" >>"$out/swift.jsonl" ;;
            reference) "$PY" bench/spf_torch.py --impl reference --size "$1" --threads "$THREADS" 2>/dev/null >>"$out/reference.jsonl" ;;
            straightforward) "$PY" bench/spf_torch.py --impl straightforward --size "$1" --threads "$THREADS" 2>/dev/null >>"$out/straightforward.jsonl" ;;
        esac
    done
}
for round in $(seq "$ROUNDS"); do run_round world "$round"; done
for round in $(seq "$SD15_ROUNDS"); do run_round sd15 "$round"; done
"$PY" - "$out" "$THREADS" "$ROUNDS" "$SD15_ROUNDS" <<'PYEOF'
import datetime, sys
sys.path.insert(0, "bench")
from report import cpu_name, median, paired_ratios, record_section
out, threads, rounds, sd15_rounds = sys.argv[1:]
rows = ["| size | Swift (ms) | reference (ms) | ratio (median) | min | max | straightforward (ms) | ratio (median) | min | max "
        "| peak RSS MB: Swift / reference / straightforward |", "|---" * 11 + "|"]
reference = paired_ratios(f"{out}/swift.jsonl", f"{out}/reference.jsonl")
naive = paired_ratios(f"{out}/swift.jsonl", f"{out}/straightforward.jsonl")
for op, (swift, ref, ratios) in reference.items():
    _, straight, straight_ratios = naive[op]
    rows.append(f"| {op.removeprefix('spf_stage2_')} | {median([r['median_ms'] for r in swift]):.0f} | "
                f"{median([r['median_ms'] for r in ref]):.0f} | {median(ratios):.3f} | {min(ratios):.3f} | {max(ratios):.3f} | "
                f"{median([r['median_ms'] for r in straight]):.0f} | {median(straight_ratios):.3f} | {min(straight_ratios):.3f} | "
                f"{max(straight_ratios):.3f} | {max(r['peak_rss_mb'] for r in swift)} / {max(r['peak_rss_mb'] for r in ref)} / "
                f"{max(r['peak_rss_mb'] for r in straight)} |")
table = "\n".join(rows)
print(table)
record_section("spf", f"## spf\n\n`bench/spf.sh` on {datetime.date.today()}: {cpu_name()}, {threads} threads, libtorch 2.13.0+cpu, "
               f"diffusers 0.42.1; {rounds} rounds at world size (16x16 latents), {sd15_rounds} at SD 1.5 size (random weights, "
               "64x64 latents), rotating which side goes first; ratio = median over rounds of Swift / PyTorch within the round. "
               "One SPF-Portrait stage-2 optimizer step (cross-attention trained, batch 1, lambda_enh 0): both paths with "
               "captures, the SFCM, L_diff + L_tc + L_fg, backward, clipping, AdamW. \"reference\" does the same work on the "
               "same cached inputs; \"straightforward\" is written from the paper (deep-copied UNet for the reference path, "
               "VAE and text encoding every step, full attention probabilities kept).\n\n"
               f"{table}\n\nTargets: ratio <= 1.0 against the reference, <= 0.7 against the straightforward version, "
               "peak memory below the straightforward version's.\n")
PYEOF
