"""L_enh, SPF-Portrait's response enhancement through CLIP space (docs/method.md), on the inputs of
spf_fixtures.py (its latents, noise, timesteps, text embeddings and moved attn2 weights, read back from
spf_step.safetensors, so it runs after that script: make_fixtures.sh runs them in name order), written from the method's definition:

  zhat_0 = (x_t - sqrt(1 - abar_t) eps_res) / sqrt(abar_t)            (epsilon prediction)
  f_I(z) = CLIP image features of preprocess((VAE.decode(z / scaling) / 2 + 0.5).clamp(0, 1))
  difference:  1 - cos(f_I(zhat_0) - g_T(T), f_I(z_0) - g_T(T))
  directional: 1 - cos(f_I(zhat_0) - f_I(zhat_0^ref), g_T(F) - g_T(B))   (zhat_0^ref from eps_ref, no grad)
  direct:      1 - cos(f_I(zhat_0), g_T(T))
  L_enh = mean over the samples with t <= enhance_t_max

The frozen CLIP is the world's (models/world/clip, a transformers CLIPModel with the CLIP BPE tokenizer);
preprocess = bicubic antialiased resize of the shorter side to image_size, centre crop, OpenAI mean/std (as
Sources/CLIP/CLIPImagePreprocessing.swift, differentiable). Gradients of L_enh w.r.t. GRAD_KEYS flow through
the VAE decoder and CLIP into the UNet.

Writes Tests/TrainingTests/Fixtures/spf_enh.safetensors. Cases (keys prefixed "<case>."):
  difference   enhance_t_max 400: only sample 0 (t = 120) counts, sample 1 (t = 640) is gated out
  directional  enhance_t_max 999: both samples
  direct       enhance_t_max 999: both samples
"""
import json
import os

import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from safetensors import safe_open
from safetensors.torch import save_file
from transformers import CLIPModel, CLIPTokenizer

import spf_fixtures as spf

CLIP = "models/world/clip"
STEP = spf.OUT
OUT = os.path.join("Tests", "TrainingTests", "Fixtures", "spf_enh.safetensors")
CASES = {"difference": 400, "directional": 999, "direct": 999}
MEAN = [0.48145466, 0.4578275, 0.40821073]
STD = [0.26862954, 0.26130258, 0.27577711]


def preprocess(unit, size):
    h, w = unit.shape[-2:]
    nh, nw = (size, int(size * w / h)) if h <= w else (int(size * h / w), size)
    x = unit
    if (nh, nw) != (h, w):
        x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[:, :, top:top + size, left:left + size]
    mean = torch.tensor(MEAN).reshape(1, 3, 1, 1)
    std = torch.tensor(STD).reshape(1, 3, 1, 1)
    return (x - mean) / std


def main():
    with safe_open(STEP, "pt") as f:
        inputs = {k: f.get_tensor(k) for k in f.keys()}
        meta = f.metadata()
    texts = json.loads(meta["texts"])
    hidden = {t: inputs[f"text.{i}"] for i, t in enumerate(texts)}
    latents, noise, timesteps = inputs["latents"], inputs["noise"], inputs["timesteps"]

    scheduler = DDPMScheduler.from_pretrained(spf.MODEL, subfolder="scheduler")
    vae = AutoencoderKL.from_pretrained(spf.MODEL, subfolder="vae").eval().requires_grad_(False)
    # The folder stores float16; Swift (CLIPModel.load) computes in float32, so does the reference.
    clip = CLIPModel.from_pretrained(CLIP, dtype=torch.float32).eval().requires_grad_(False)
    clip_tok = CLIPTokenizer.from_pretrained(CLIP)
    size = clip.config.vision_config.image_size
    scaling = vae.config.scaling_factor

    def g_t(text):
        ids = clip_tok(text, padding="max_length", max_length=clip.config.text_config.max_position_embeddings,
                       truncation=True, return_tensors="pt").input_ids
        with torch.no_grad():
            return clip.get_text_features(input_ids=ids).pooler_output[0]

    def f_i(z):
        images = vae.decode(z / scaling).sample
        unit = (images.float() / 2 + 0.5).clamp(0, 1)
        return clip.get_image_features(pixel_values=preprocess(unit, size)).pooler_output

    abar = scheduler.alphas_cumprod.float()

    def predicted_original(eps, noisy, t):
        a = abar[t].reshape(-1, 1, 1, 1)
        return (noisy - (1 - a).sqrt() * eps) / a.sqrt()

    noisy = scheduler.add_noise(latents, noise, timesteps)
    full = torch.stack([hidden[spf.full_text(c)] for c in spf.CAPTIONS])
    base = torch.stack([hidden[c["base"]] for c in spf.CAPTIONS])
    trained = [n for n in inputs if n.startswith("moved.")]

    ref_unet = UNet2DConditionModel.from_pretrained(spf.MODEL, subfolder="unet").eval()
    with torch.no_grad():
        eps_ref = ref_unet(noisy, timesteps, base, return_dict=False)[0]

    out = {}
    for case, t_max in CASES.items():
        unet = UNet2DConditionModel.from_pretrained(spf.MODEL, subfolder="unet")
        unet.requires_grad_(False)
        params = dict(unet.named_parameters())
        with torch.no_grad():
            for key in trained:
                params[key[len("moved."):]].copy_(inputs[key])
        for key in trained:
            params[key[len("moved."):]].requires_grad_(True)
        eps = unet(noisy, timesteps, full, return_dict=False)[0]
        gated = [b for b in range(len(spf.CAPTIONS)) if timesteps[b].item() <= t_max]
        losses = []
        for b in gated:
            c = spf.CAPTIONS[b]
            zhat = predicted_original(eps[b:b + 1].float(), noisy[b:b + 1].float(), timesteps[b:b + 1])
            f = f_i(zhat).reshape(-1)
            if case == "difference":
                target = g_t(c["target"])
                with torch.no_grad():
                    original = f_i(latents[b:b + 1].float()).reshape(-1)
                prediction, goal = f - target, original - target
            elif case == "directional":
                with torch.no_grad():
                    z_ref = predicted_original(eps_ref[b:b + 1].float(), noisy[b:b + 1].float(), timesteps[b:b + 1])
                    ref_feature = f_i(z_ref).reshape(-1)
                prediction, goal = f - ref_feature, g_t(spf.full_text(c)) - g_t(c["base"])
            else:
                prediction, goal = f, g_t(c["target"])
            losses.append(1 - spf.cosine(prediction, goal))
        loss = torch.stack(losses).mean()
        loss.backward()
        out[f"{case}.loss_enh"] = loss.detach().reshape(1)
        out[f"{case}.samples"] = torch.tensor([float(len(gated))])
        for n in spf.GRAD_KEYS:
            grad = params[n].grad
            out[f"{case}.grad_enh.{n}"] = torch.zeros_like(params[n]) if grad is None else grad.detach().clone()
        print(f"{case}: L_enh {loss.item():.6f} over {len(gated)} sample(s)")

    out = {key: v.contiguous() for key, v in out.items()}
    save_file(out, OUT, metadata={"cases": json.dumps(CASES), "clip": CLIP, "torch": torch.__version__})
    print(f"wrote {OUT}: {len(out)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
