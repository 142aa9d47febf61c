#!/usr/bin/env bash
# One optimizer step of `spf train` at SD 1.5 size (cross-attention and LoRA) beside diffusers' training logic
# on the same libtorch; records the "training" section of docs/benchmarks.md. Same method as bench/unet.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
TASKS="train_cross_attention train_lora" SECTION=training exec bench/unet.sh
