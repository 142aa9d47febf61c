"""Reference fixtures for the training loop's EMA (Sources/Training/Loop/EMAWeights.swift,
Tests/TrainingTests/EMATests.swift): diffusers' EMAModel as train_text_to_image uses it for --use_ema
(use_ema_warmup False, update_after_step 0, min_decay 0), with decay 0.5 so that the cap is reached
within the recorded updates ((1 + k) / (10 + k) = 0.5 at k = 8).

Run from the repository root with torch==2.13.0+cpu and diffusers:

    python tools/reference/ema_fixtures.py

Writes Tests/TrainingTests/Fixtures/ema.safetensors (a few KB):

    param.{i}            initial parameters (i = 0, 1, 2; float32), the average's starting copy
    value.{t}.{i}        the parameters' values before update t (t = 0..11), as if an optimizer had set them
    shadow.{t}.{i}       the average after update t
    decay.{t}            the decay EMAModel used at update t (float64, one element)
    schedule.update      update numbers, and schedule.decay the decays get_decay gives for them with 0.9999
"""

import os

import torch
from diffusers.training_utils import EMAModel
from safetensors.torch import save_file

OUT = os.path.join("Tests", "TrainingTests", "Fixtures", "ema.safetensors")
UPDATES = 12
SHAPES = [(4, 3), (5,), (2, 2, 2)]


def main():
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    gen = torch.Generator().manual_seed(20261201)
    out = {}
    params = [torch.nn.Parameter(torch.randn(shape, generator=gen)) for shape in SHAPES]
    for i, p in enumerate(params):
        out[f"param.{i}"] = p.detach().clone()
    ema = EMAModel(params, decay=0.5)
    for t in range(UPDATES):
        with torch.no_grad():
            for i, p in enumerate(params):
                p.copy_(torch.randn(p.shape, generator=gen) * (1 + t))
                out[f"value.{t}.{i}"] = p.detach().clone()
        ema.step(params)
        out[f"decay.{t}"] = torch.tensor([ema.cur_decay_value], dtype=torch.float64)
        for i, s in enumerate(ema.shadow_params):
            out[f"shadow.{t}.{i}"] = s.detach().clone()
    updates = [1, 2, 3, 10, 100, 1000, 10000, 100000, 1000000]
    long = EMAModel([torch.nn.Parameter(torch.zeros(1))], decay=0.9999)
    out["schedule.update"] = torch.tensor(updates, dtype=torch.int64)
    out["schedule.decay"] = torch.tensor([long.get_decay(n) for n in updates], dtype=torch.float64)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file(out, OUT)
    print(f"wrote {OUT}: {len(out)} tensors")


if __name__ == "__main__":
    main()
