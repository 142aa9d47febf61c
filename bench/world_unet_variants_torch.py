"""PyTorch-only probe of the world UNet's training step (models/world's UNet config, random weights and inputs):
seconds per step (forward, MSE, backward, AdamW) for contiguous float32, channels_last float32 and bfloat16 autocast,
at batch 16 and 8, two rounds in opposite orders, 2 threads, median of 10 timed steps after 2 warm-up ones.
It asks whether a memory format or precision would make the world's UNet stage cheaper before the Swift side
exposes one (docs/benchmarks.md, "world UNet step variants"). Run: .venv-reference/bin/python bench/world_unet_variants_torch.py
"""
import json
import time

import torch
from diffusers import UNet2DConditionModel

torch.set_num_threads(2)
CONFIG = json.load(open("models/world/pipeline/unet/config.json"))


def seconds_per_step(variant: str, batch: int, steps: int = 10) -> float:
    torch.manual_seed(0)
    unet = UNet2DConditionModel.from_config(CONFIG)
    x = torch.randn(batch, 4, 16, 16)
    t = torch.randint(0, 1000, (batch,))
    text = torch.randn(batch, 77, CONFIG["cross_attention_dim"])
    target = torch.randn_like(x)
    if variant == "channels_last":
        unet = unet.to(memory_format=torch.channels_last)
        x = x.to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(unet.parameters(), lr=1e-4)
    times = []
    for i in range(steps + 2):
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(variant == "bf16")):
            out = unet(x, t, text).sample
        loss = torch.nn.functional.mse_loss(out.float(), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    times.sort()
    return times[len(times) // 2]


if __name__ == "__main__":
    print("| round | variant | batch | s/step |\n|---|---|---|---|")
    for round_, order in enumerate([["contiguous", "channels_last", "bf16"], ["bf16", "channels_last", "contiguous"]]):
        for variant in order:
            for batch in (16, 8):
                print(f"| {round_ + 1} | {variant} | {batch} | {seconds_per_step(variant, batch):.3f} |", flush=True)
