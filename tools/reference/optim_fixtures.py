"""Reference fixtures for the Swift optimizers (Tests/TorchTests/OptimizerTests.swift).

Run from the repository root with torch==2.13.0+cpu and safetensors:

    python tools/reference/optim_fixtures.py

Writes Tests/TorchTests/Fixtures/optim.safetensors (a few KB):

    param.{i}                 initial parameters (i = 0, 1, 2; float32)
    grad.{t}.{i}              gradient of parameter i at step t (t = 0..4); parameter 2 has none at
                              steps 0 and 3, to check that gradient-less parameters are skipped
    adamw.{t}.{i}             parameters after step t of AdamW(lr=1e-2, weight_decay=1e-2)
    adamw_sched.{t}.{i}       the same with the learning rate set to 1e-2 * 0.5**t before step t
    adamw_amsgrad.{t}.{i}     the same with amsgrad=True
    sgd_nesterov.{t}.{i}      after SGD(lr=1e-2, momentum=0.9, nesterov=True, weight_decay=1e-2)
    sgd_dampening.{t}.{i}     after SGD(lr=1e-2, momentum=0.9, dampening=0.1, weight_decay=1e-2)
    clip.in.{i}               gradients before clip_grad_norm_
    clip.out.{i}, clip.total  after clip_grad_norm_(max_norm=1.0), and the returned total norm
    clip_inf.out.{i}, clip_inf.total    the same with max_norm=0.5, norm_type=inf
    clip_noop.out.{i}, clip_noop.total  the same with max_norm=1e3 (coefficient clamped to 1)

Gradients are stored, not recomputed, so the Swift side replays exactly the same inputs. Optimizers
run with foreach=False, the single-tensor path that PyTorch also picks by default on CPU.
"""

import math
import os

import torch
from safetensors.torch import save_file

OUT = os.path.join("Tests", "TorchTests", "Fixtures", "optim.safetensors")
STEPS = 5
SHAPES = [(4, 3), (5,), (3, 2)]
# Steps at which each parameter has no gradient (p.grad = None).
NO_GRAD = {2: {0, 3}}


def main():
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    gen = torch.Generator().manual_seed(20240601)
    out = {}

    params = [torch.randn(shape, generator=gen) for shape in SHAPES]
    for i, p in enumerate(params):
        out[f"param.{i}"] = p.clone()

    # Gradients of different magnitudes per parameter and step, so that eps and weight decay both matter.
    grads = {}
    for t in range(STEPS):
        for i, shape in enumerate(SHAPES):
            if t in NO_GRAD.get(i, set()):
                continue
            scale = 10.0 ** (i - 1) * (1 + 0.5 * t)
            grads[(t, i)] = torch.randn(shape, generator=gen) * scale
            out[f"grad.{t}.{i}"] = grads[(t, i)].clone()

    def run(name, make_optimizer, lr_at=None):
        ps = [p.clone().requires_grad_(True) for p in params]
        opt = make_optimizer(ps)
        for t in range(STEPS):
            if lr_at is not None:
                for group in opt.param_groups:
                    group["lr"] = lr_at(t)
            for i, p in enumerate(ps):
                g = grads.get((t, i))
                p.grad = None if g is None else g.clone()
            opt.step()
            for i, p in enumerate(ps):
                out[f"{name}.{t}.{i}"] = p.detach().clone()

    run("adamw", lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=1e-2, foreach=False))
    run("adamw_sched", lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=1e-2, foreach=False),
        lr_at=lambda t: 1e-2 * 0.5**t)
    run("adamw_amsgrad",
        lambda ps: torch.optim.AdamW(ps, lr=1e-2, weight_decay=1e-2, amsgrad=True, foreach=False))
    run("sgd_nesterov",
        lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, nesterov=True, weight_decay=1e-2, foreach=False))
    run("sgd_dampening",
        lambda ps: torch.optim.SGD(ps, lr=1e-2, momentum=0.9, dampening=0.1, weight_decay=1e-2, foreach=False))

    clip_in = [torch.randn(shape, generator=gen) * (i + 1) for i, shape in enumerate(SHAPES)]
    for i, g in enumerate(clip_in):
        out[f"clip.in.{i}"] = g.clone()

    def clip(name, max_norm, norm_type):
        ps = [torch.zeros(g.shape, requires_grad=True) for g in clip_in]
        for p, g in zip(ps, clip_in):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type=norm_type)
        out[f"{name}.total"] = total.detach().clone()
        for i, p in enumerate(ps):
            out[f"{name}.out.{i}"] = p.grad.clone()

    clip("clip", 1.0, 2.0)
    clip("clip_inf", 0.5, math.inf)
    clip("clip_noop", 1e3, 2.0)
    assert out["clip.total"].item() > 1.0 and out["clip_inf.total"].item() > 0.5

    metadata = {
        "torch": torch.__version__,
        "adamw": "lr=1e-2 betas=(0.9,0.999) eps=1e-8 weight_decay=1e-2 foreach=False",
        "sgd_nesterov": "lr=1e-2 momentum=0.9 nesterov=True weight_decay=1e-2 foreach=False",
        "sgd_dampening": "lr=1e-2 momentum=0.9 dampening=0.1 weight_decay=1e-2 foreach=False",
        "clip": "max_norm=1.0 norm_type=2; clip_inf: 0.5, inf; clip_noop: 1e3, 2",
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    save_file({k: v.contiguous() for k, v in out.items()}, OUT, metadata=metadata)
    print(f"wrote {OUT}: {len(out)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
