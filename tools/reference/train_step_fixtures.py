"""One training step of diffusers' examples/text_to_image/train_text_to_image.py (and its LoRA variant) on the
tiny pipeline fixture, with fixed latents, noise, timesteps and text embeddings: the loss, the gradients of the
trained tensors after clip_grad_norm_(1.0), and the tensors after one AdamW step.

Writes Tests/TrainingTests/Fixtures/train_step.safetensors (~0.3 MB). Cases:
  full          every UNet parameter, epsilon target, plain MSE
  cross_attn    attn2 parameters only
  lora          rank 4, alpha 8 adapters on to_q/to_k/to_v/to_out.0 (PEFT's computation: base(x) + B(A(x)) * alpha/r),
                A and B from the fixture so both sides start equal
  full_snr      every parameter, min-SNR weighting with gamma 5
  full_bf16     every parameter, the UNet forward under torch.autocast("cpu", torch.bfloat16) (accelerate's
                mixed_precision="bf16" on CPU), float32 master weights
"""
import os

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DConditionModel
from diffusers.training_utils import compute_snr
from safetensors.torch import save_file

MODEL = "Tests/StableDiffusionTests/Fixtures/pipe_tiny"
OUT = os.path.join("Tests", "TrainingTests", "Fixtures", "train_step.safetensors")
LR, WD, MAX_NORM, RANK, ALPHA = 1e-3, 1e-2, 1.0, 4, 8.0
TARGETS = ("to_q", "to_k", "to_v", "to_out.0")


def inputs():
    g = torch.Generator().manual_seed(0)
    unet = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
    latents = torch.randn(2, unet.config.in_channels, 8, 8, generator=g)
    noise = torch.randn(latents.shape, generator=g)
    timesteps = torch.tensor([17, 873], dtype=torch.int64)
    states = torch.randn(2, 77, unet.config.cross_attention_dim, generator=g)
    return latents, noise, timesteps, states


def add_lora(unet, g):
    """Adapters as PEFT computes them, on every Linear whose name ends with a target."""
    tensors = {}
    for name, module in list(unet.named_modules()):
        if isinstance(module, torch.nn.Linear) and name.endswith(TARGETS):
            a = (torch.rand(RANK, module.in_features, generator=g) * 2 - 1) / module.in_features ** 0.5
            b = torch.randn(module.out_features, RANK, generator=g) * 0.01
            module.lora_A = torch.nn.Parameter(a)
            module.lora_B = torch.nn.Parameter(b)

            def forward(x, module=module):
                result = F.linear(x, module.weight, module.bias)
                return result + F.linear(F.linear(x, module.lora_A), module.lora_B) * (ALPHA / RANK)

            module.forward = forward
            tensors[f"{name}.lora.lora_A.weight"] = module.lora_A
            tensors[f"{name}.lora.lora_B.weight"] = module.lora_B
    return tensors


def step(case, latents, noise, timesteps, states, out):
    unet = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
    scheduler = DDPMScheduler.from_pretrained(MODEL, subfolder="scheduler")
    unet.requires_grad_(False)
    if case == "lora":
        trained = add_lora(unet, torch.Generator().manual_seed(1))
        for name, t in trained.items():
            out[f"{case}.init.{name}"] = t.detach().clone()
    else:
        trained = {n: p for n, p in unet.named_parameters() if case != "cross_attn" or ".attn2." in n}
    for p in trained.values():
        p.requires_grad_(True)
    names = list(trained)
    params = [trained[n] for n in names]
    optimizer = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), weight_decay=WD, eps=1e-8)

    noisy = scheduler.add_noise(latents, noise, timesteps)
    target = noise
    if case == "full_bf16":
        with torch.autocast("cpu", dtype=torch.bfloat16):
            pred = unet(noisy, timesteps, states, return_dict=False)[0]
    else:
        pred = unet(noisy, timesteps, states, return_dict=False)[0]
    if case == "full_snr":
        snr = compute_snr(scheduler, timesteps)
        weights = torch.stack([snr, 5.0 * torch.ones_like(timesteps)], dim=1).min(dim=1)[0] / snr
        loss = F.mse_loss(pred.float(), target.float(), reduction="none")
        loss = (loss.mean(dim=list(range(1, len(loss.shape)))) * weights).mean()
    else:
        loss = F.mse_loss(pred.float(), target.float(), reduction="mean")
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(params, MAX_NORM)
    out[f"{case}.loss"] = loss.detach().reshape(1)
    out[f"{case}.grad_norm"] = norm.detach().reshape(1)
    # A few tensors of each kind keep the fixture small; every trained tensor is checked through the norm.
    keep = [n for n in names if "lora" in n][:8] if case == "lora" else [
        n for n in names if n.endswith(("attn2.to_k.weight", "conv_in.weight", "time_embedding.linear_1.bias",
                                        "proj_out.weight", "conv_out.bias"))][:8]
    for n in keep:
        out[f"{case}.grad.{n}"] = trained[n].grad.detach().clone()
    optimizer.step()
    for n in keep:
        out[f"{case}.after.{n}"] = trained[n].detach().clone()


def main():
    latents, noise, timesteps, states = inputs()
    out = {"latents": latents, "noise": noise, "timesteps": timesteps, "encoder_hidden_states": states}
    for case in ("full", "cross_attn", "lora", "full_snr", "full_bf16"):
        step(case, latents, noise, timesteps, states, out)
    out = {k: v.contiguous() for k, v in out.items()}
    save_file(out, OUT, metadata={"lr": str(LR), "weight_decay": str(WD), "max_grad_norm": str(MAX_NORM),
                                  "rank": str(RANK), "alpha": str(ALPHA), "torch": torch.__version__})
    print(f"wrote {OUT}: {len(out)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
