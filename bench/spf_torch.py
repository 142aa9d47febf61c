"""The PyTorch sides of `spf bench spf`: one SPF-Portrait stage-2 optimizer step (docs/method.md; lambda_enh = 0,
cross-attention trained, batch 1, add mode, t = 500), the same caption, sizes and timing rule (1 warm-up, median of
N), printing the same JSON line. Two implementations:

  reference        the same work as ours: latents and text embeddings computed once (the engine's cache); one
                   UNet whose attn2 tensors are swapped to their original values for the reference path (no grad);
                   capture processors that reduce each attn2 layer's probabilities to per-group maps at once
  straightforward  as one would write it from the paper: a deep copy of the UNet for the reference path, the VAE
                   encoding the image and the CLIP text encoder encoding every text at every step, processors that
                   keep every attn2 layer's full attention probabilities and derive the maps afterwards

Both: the SFCM (nd abs, min-max, CLIP phrase weights from pooled embeddings, max-normalised phrase maps, bilinear),
L_diff + L_tc + L_fg, backward, clip_grad_norm_(1), AdamW, zero_grad(set_to_none=True).
"""
import argparse
import copy
import json
import math
import os
import resource
import sys

sys.modules["torchvision"] = None  # not needed; its wheel may not import with this torch
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tools", "reference"))
import torch
import torch.nn.functional as F
from diffusers import AutoencoderKL, DDPMScheduler, UNet2DConditionModel
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

from ops_torch import median_seconds
from spf_fixtures import phrase_spans, phrases
from unet_torch import sd15_unet

EPS = 1e-8
CAPTION = {"base": "a woman, with long red hair, in a blue t-shirt, with a striped background", "target": "with a red hat"}


class Capture:
    """attn2 with diffusers' AttnProcessor math; `keep_probs` stores the full probabilities (straightforward),
    otherwise the head-averaged probabilities are reduced to group maps at once (reference)."""

    def __init__(self, store, name, keep_probs):
        self.store, self.name, self.keep_probs, self.groups = store, name, keep_probs, None

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        batch, n, _ = hidden_states.shape
        query = attn.to_q(hidden_states)
        q = attn.head_to_batch_dim(query)
        k = attn.head_to_batch_dim(attn.to_k(encoder_hidden_states))
        v = attn.head_to_batch_dim(attn.to_v(encoder_hidden_states))
        probs = (q @ k.transpose(-1, -2) * attn.scale).softmax(dim=-1)
        out = attn.to_out[1](attn.to_out[0](attn.batch_to_head_dim(torch.bmm(probs, v))))
        h = int(math.isqrt(n))
        entry = {"query": query, "h": h}
        if self.keep_probs:
            entry["probs"] = probs.reshape(batch, attn.heads, n, -1)
        else:
            mean = probs.reshape(batch, attn.heads, n, -1).mean(dim=1)
            entry["maps"] = (mean @ self.groups).transpose(1, 2).reshape(batch, self.groups.shape[-1], h, n // h)
        self.store[self.name] = entry
        return out


def attach(unet, keep_probs):
    store, captures = {}, []
    procs = {}
    for key, proc in unet.attn_processors.items():
        if key.endswith("attn2.processor"):
            procs[key] = Capture(store, key[: -len(".processor")], keep_probs)
            captures.append(procs[key])
        else:
            procs[key] = proc
    unet.set_attn_processor(procs)
    return store, captures


def maps_of(entry, groups):
    if "maps" in entry:
        return entry["maps"]
    mean = entry["probs"].mean(dim=1)
    b, n, _ = mean.shape
    return (mean @ groups).transpose(1, 2).reshape(b, groups.shape[-1], entry["h"], n // entry["h"])


def group_matrix(spans_per_slot):
    m = torch.zeros(1, 77, len(spans_per_slot))
    for g, idx in enumerate(spans_per_slot):
        for s in idx:
            m[0, s, g] += 1
    return m


def layout(tok):
    """Slots: base phrases, PAD, target (add mode), for the reference (base) and response (full) texts."""
    base, full = CAPTION["base"], CAPTION["base"] + ", " + CAPTION["target"]
    b_spans, b_pad = phrase_spans(tok, base)
    f_spans, f_pad = phrase_spans(tok, full)
    P = len(phrases(base))
    ref = b_spans + [b_pad, []]
    res = f_spans[:P] + [f_pad, sum(f_spans[P:], [])]
    return P, group_matrix(ref), group_matrix(res)


def cosine(a, b):
    return (a * b).sum() / ((a.square().sum() * b.square().sum()).sqrt() + EPS)


def losses(store, store_ref, groups, groups_ref, eps, eps_ref, noise, pooled, P, sfcm_sizes, latent):
    l_diff = F.mse_loss(eps.float(), noise.float())
    names = sorted(store)
    maps = {n: maps_of(store[n], groups) for n in names}
    ref_maps = {n: maps_of(store_ref[n], groups_ref) for n in names}
    weights = torch.stack([1 - cosine(pooled[p], pooled[CAPTION["target"]]) for p in phrases(CAPTION["base"])])
    weights = (weights / weights.max()).reshape(1, P, 1, 1)
    with torch.no_grad():
        nd = (eps.detach() - eps_ref).abs().mean(dim=1, keepdim=True)
        lo, hi = nd.amin(dim=(2, 3), keepdim=True), nd.amax(dim=(2, 3), keepdim=True)
        nd = (nd - lo) / (hi - lo + EPS)
        chosen = [n for n in names if maps[n].shape[2] in sfcm_sizes]
        acc = sum(F.interpolate(maps[n].detach()[:, :P], size=(latent, latent), mode="bilinear", align_corners=False)
                  for n in chosen) / len(chosen)
        acc = acc / (acc.amax(dim=(2, 3), keepdim=True) + EPS)
        m = (nd - (acc * weights).sum(dim=1, keepdim=True)).clamp(0, 1)
        m = m / (m.amax(dim=(2, 3), keepdim=True) + EPS)
    align = torch.tensor([1.0] * (P + 1) + [0.0])
    l_tc, l_fg = 0, 0
    for n in names:
        h, w = maps[n].shape[2:]
        weight = F.interpolate(1 - m, size=(h, w), mode="bilinear", align_corners=False) if h != latent else 1 - m
        l_tc = l_tc + (((maps[n] - ref_maps[n]).square() * weight).mean(dim=(2, 3)) * align).sum()
        q, q0 = store[n]["query"], store_ref[n]["query"]
        l_fg = l_fg + ((q - q0).square().mean(dim=2) * weight.reshape(1, h * w)).mean()
    return l_diff + l_tc / (align.sum() * len(names)) + l_fg / len(names)


def models(size, world):
    tok = CLIPTokenizer.from_pretrained(os.path.join(world, "clip"))
    if size == "world":
        path = os.path.join(world, "pipeline")
        return (tok, UNet2DConditionModel.from_pretrained(path, subfolder="unet", torch_dtype=torch.float32),
                AutoencoderKL.from_pretrained(path, subfolder="vae", torch_dtype=torch.float32),
                CLIPTextModel.from_pretrained(path, subfolder="text_encoder", dtype=torch.float32), 16, {16, 8})
    text = CLIPTextModel(CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                                        num_attention_heads=12, max_position_embeddings=77, hidden_act="quick_gelu"))
    return tok, sd15_unet(), AutoencoderKL(block_out_channels=(128, 256, 512, 512), layers_per_block=2,
                                           down_block_types=("DownEncoderBlock2D",) * 4,
                                           up_block_types=("UpDecoderBlock2D",) * 4, latent_channels=4), text, 64, {16, 32}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--impl", choices=["reference", "straightforward"], required=True)
    parser.add_argument("--size", choices=["sd15", "world"], default="sd15")
    parser.add_argument("--world", default="models/world")
    parser.add_argument("--iterations", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    tok, unet, vae, text_encoder, latent, sfcm_sizes = models(args.size, args.world)
    vae.eval().requires_grad_(False)
    text_encoder.eval().requires_grad_(False)
    scheduler = DDPMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    P, groups_ref, groups = layout(tok)
    full, base = CAPTION["base"] + ", " + CAPTION["target"], CAPTION["base"]
    texts = [full, base, CAPTION["target"]] + phrases(base)
    g = torch.Generator().manual_seed(0)
    factor = 2 ** (len(vae.config.block_out_channels) - 1)
    image = torch.rand(1, 3, latent * factor, latent * factor, generator=g) * 2 - 1
    noise = torch.randn(1, 4, latent, latent, generator=g)
    timesteps = torch.tensor([500])

    def encode_texts():
        out = {}
        for t in texts:
            ids = tok(t, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
            o = text_encoder(ids)
            out[t] = (o.last_hidden_state, o.pooler_output[0])
        return out

    unet.requires_grad_(False)
    trained = [p for n, p in unet.named_parameters() if ".attn2." in n]
    originals = [p.detach().clone() for p in trained]
    reference_unet = copy.deepcopy(unet) if args.impl == "straightforward" else None
    for p in trained:
        p.requires_grad_(True)
    keep = args.impl == "straightforward"
    store, captures = attach(unet, keep)
    for c in captures:
        c.groups = groups
    if reference_unet is not None:
        store_ref, ref_captures = attach(reference_unet, keep)
    else:
        store_ref, ref_captures = {}, []
    optimizer = torch.optim.AdamW(trained, lr=1e-4)
    with torch.no_grad():
        cached_latents = vae.encode(image).latent_dist.sample(generator=g) * vae.config.scaling_factor
        cached_texts = encode_texts()

    def step():
        if keep:
            with torch.no_grad():
                latents = vae.encode(image).latent_dist.sample() * vae.config.scaling_factor
                encoded = encode_texts()
        else:
            latents, encoded = cached_latents, cached_texts
        noisy = scheduler.add_noise(latents, noise, timesteps)
        with torch.no_grad():
            if reference_unet is not None:
                eps_ref = reference_unet(noisy, timesteps, encoded[base][0], return_dict=False)[0]
                ref = dict(store_ref)
            else:
                trained_values = [p.data for p in trained]
                for p, o in zip(trained, originals):
                    p.data = o
                for c in captures:
                    c.groups = groups_ref
                eps_ref = unet(noisy, timesteps, encoded[base][0], return_dict=False)[0]
                ref = dict(store)
                for p, v in zip(trained, trained_values):
                    p.data = v
                for c in captures:
                    c.groups = groups
        eps = unet(noisy, timesteps, encoded[full][0], return_dict=False)[0]
        pooled = {t: encoded[t][1] for t in texts}
        loss = losses(store, ref, groups, groups_ref, eps, eps_ref, noise, pooled, P, sfcm_sizes, latent)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trained, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    seconds = median_seconds(args.iterations, step, warm_up=1)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"op": f"spf_stage2_{args.size}", "median_ms": seconds * 1000, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
