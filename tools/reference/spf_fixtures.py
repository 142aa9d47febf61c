"""One SPF-Portrait stage-2 step (docs/method.md) on the tiny pipeline fixture, written from the method's
definition with diffusers' UNet and capturing attention processors: the reference path (original attn2
weights, base text), the response path (attn2 weights moved as if by stage 1, full text), the SFCM, L_diff,
L_tc, L_fg, the total, and gradients of the total and of each alignment term w.r.t. a few trained tensors.

Fixed inputs: latents, noise, timesteps; a batch mixing an add-mode and a replace-mode caption with different
phrase counts (so the per-sample token groups differ and one sample pads). Trained set: cross-attention.
Phrase spans are computed here independently of the Swift tokenizer (token counts of text prefixes).

Writes Tests/TrainingTests/Fixtures/spf_step.safetensors. Cases (keys prefixed "<case>."):
  spf       sfcm on, nd abs, CLIP phrase weights, blur sigma 1, bilinear, sfcm_layers 1/1 + 1/2
  nosfcm    sfcm off (W = 1)
  squared   nd squared, uniform phrase weights, no blur, nearest resize, sfcm_layers 1/2, no PAD group
  lora      the spf settings with LoRA adapters trained instead of attn2 (PEFT, rank 4, alpha 4; their values in
            lora_moved.<Swift name>); the reference path is the model without adapters
L_enh is not part of this fixture (lambda_enh = 0): it needs a CLIP image model.
"""
import json
import math
import os

import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler, UNet2DConditionModel
from peft import LoraConfig
from safetensors.torch import save_file
from transformers import CLIPTextModel, CLIPTokenizer

MODEL = "Tests/StableDiffusionTests/Fixtures/pipe_tiny"
OUT = os.path.join("Tests", "TrainingTests", "Fixtures", "spf_step.safetensors")
EPS = 1e-8
SHARPEN = 12.0
CAPTIONS = [
    {"base": "a woman, in a blue t-shirt", "target": "with a red hat", "mode": "add", "replaces": None},
    {"base": "a man, in a blue t-shirt, smiling", "target": "in a green dress", "mode": "replace",
     "replaces": "in a blue t-shirt"},
]
CASES = {
    "spf": dict(sfcm=True, nd="abs", weights="clip", blur=1.0, resize="bilinear", sfcm_down=[1, 2], pad=True),
    "nosfcm": dict(sfcm=False, nd="abs", weights="clip", blur=0.0, resize="bilinear", sfcm_down=[1, 2], pad=True),
    "squared": dict(sfcm=True, nd="squared", weights="uniform", blur=0.0, resize="nearest", sfcm_down=[2], pad=False),
}
GRAD_KEYS = ["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
             "mid_block.attentions.0.transformer_blocks.0.attn2.to_q.weight",
             "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_out.0.weight",
             "up_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v.weight"]


LORA_GRAD_KEYS = ["down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.lora_A.default.weight",
                  "mid_block.attentions.0.transformer_blocks.0.attn2.to_q.lora_B.default.weight",
                  "up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_v.lora_A.default.weight",
                  "up_blocks.1.attentions.1.transformer_blocks.0.attn2.to_out.0.lora_B.default.weight"]


def swift_lora_name(name):
    """PEFT's `<module>.lora_A.default.weight` as the Swift UNet names it: `<module>.lora.lora_A.weight`."""
    return name.replace(".lora_A.default.", ".lora.lora_A.").replace(".lora_B.default.", ".lora.lora_B.")


def phrases(text):
    return [p.strip() for p in text.split(",") if p.strip()]


def full_text(c):
    if c["mode"] == "add":
        return c["base"] + ", " + c["target"]
    return ", ".join(c["target"] if p == c["replaces"] else p for p in phrases(c["base"]))


def phrase_spans(tok, text):
    """Token range of each phrase (BOS = index 0): token counts of the prefixes before and after it."""
    spans, start = [], 0
    for p in phrases(text):
        begin = text.index(p, start)
        end = begin + len(p)
        n0 = len(tok(text[:begin], add_special_tokens=False).input_ids)
        n1 = len(tok(text[:end], add_special_tokens=False).input_ids)
        spans.append(list(range(1 + n0, 1 + n1)))
        start = end
    n = len(tok(text, add_special_tokens=False).input_ids)
    return spans, list(range(n + 1, 77))


def layout(tok, pad_group):
    """Slots 0..P-1 base phrases, P the PAD group, P+1 the target (method.md; replaced phrase excluded)."""
    P = max(len(phrases(c["base"])) for c in CAPTIONS)
    ref, res, align, control = [], [], [], []
    for c in CAPTIONS:
        b_spans, b_pad = phrase_spans(tok, c["base"])
        f_spans, f_pad = phrase_spans(tok, full_text(c))
        bp = phrases(c["base"])
        r, s = [[] for _ in range(P + 2)], [[] for _ in range(P + 2)]
        a, m = [0.0] * (P + 2), [0.0] * P
        fi = 0
        nt = len(phrases(c["target"]))
        target = []
        for k, p in enumerate(bp):
            r[k] = b_spans[k]
            if c["mode"] == "replace" and p == c["replaces"]:
                target = sum(f_spans[fi:fi + nt], [])
                r[P + 1] = b_spans[k]
                fi += nt
                continue
            s[k] = f_spans[fi]
            fi += 1
            a[k] = 1.0
            m[k] = 1.0
        if c["mode"] == "add":
            target = sum(f_spans[fi:fi + nt], [])
        r[P], s[P] = b_pad, f_pad
        a[P] = 1.0 if pad_group else 0.0
        s[P + 1] = target
        ref.append(r)
        res.append(s)
        align.append(a)
        control.append(m)
    return P, ref, res, torch.tensor(align), torch.tensor(control)


def group_matrix(groups):
    G = len(groups[0])
    m = torch.zeros(len(groups), 77, G)
    for b, gs in enumerate(groups):
        for g, idx in enumerate(gs):
            for s in idx:
                m[b, s, g] += 1
    return m


class CapturingProcessor:
    """diffusers' AttnProcessor math in float32 scores, keeping head-averaged group maps and the queries."""

    def __init__(self, store, name, height_of):
        self.store, self.name, self.height_of = store, name, height_of
        self.groups = None

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        batch, n, _ = hidden_states.shape
        query = attn.to_q(hidden_states)
        q = attn.head_to_batch_dim(query)
        k = attn.head_to_batch_dim(attn.to_k(encoder_hidden_states))
        v = attn.head_to_batch_dim(attn.to_v(encoder_hidden_states))
        probs = (q.float() @ k.float().transpose(-1, -2) * attn.scale).softmax(dim=-1)
        out = attn.batch_to_head_dim(torch.bmm(probs.to(v.dtype), v))
        out = attn.to_out[1](attn.to_out[0](out))
        h = self.height_of[n]
        mean = probs.reshape(batch, attn.heads, n, -1).mean(dim=1)
        maps = (mean @ self.groups).transpose(1, 2).reshape(batch, self.groups.shape[-1], h, n // h)
        self.store[self.name] = {"maps": maps, "query": query}
        return out


def attach(unet):
    store, procs, layers = {}, {}, []
    for key, proc in unet.attn_processors.items():
        name = key[: -len(".processor")]
        if name.endswith("attn2"):
            procs[key] = CapturingProcessor(store, name, {64: 8, 16: 4})
            layers.append(name)
        else:
            procs[key] = proc
    unet.set_attn_processor(procs)
    # Forward order (down, mid, up), as the Swift UNet reports its layers; attn_processors lists mid last.
    rank = {"down_blocks": 0, "mid_block": 1, "up_blocks": 2}
    layers.sort(key=lambda n: (rank[n.split(".")[0]], n))
    return store, [p for k, p in unet.attn_processors.items() if isinstance(p, CapturingProcessor)], layers


def downscale(name):
    return 2 if name.startswith("mid_block") else 1


def resize(x, h, w, mode):
    if x.shape[-2:] == (h, w):
        return x
    if mode == "bilinear":
        return F.interpolate(x, size=(h, w), mode="bilinear", align_corners=False)
    return F.interpolate(x, size=(h, w), mode="nearest")


def blur(m, sigma):
    radius = math.ceil(2 * sigma)
    taps = [math.exp(-(i * i) / (2 * sigma * sigma)) for i in range(-radius, radius + 1)]
    total = sum(taps)
    k1 = [t / total for t in taps]
    kernel = torch.tensor([[a * b for b in k1] for a in k1], dtype=torch.float64).float()
    return F.conv2d(m, kernel[None, None], padding=radius)


def cosine(a, b):
    return (a * b).sum() / ((a.square().sum() * b.square().sum()).sqrt() + EPS)


def spf_step(case, k, tok, pooled, noisy, timesteps, noise, full, base, unet, params, grad_keys, out):
    """One stage-2 step of `unet` (the response path, its trained tensors in `params`) against the original model
    (a fresh UNet: the reference path) for settings `k`; writes the case's outputs into `out`."""
    P, ref_groups, res_groups, align, control = layout(tok, k["pad"])
    # Reference path: the original weights.
    ref_unet = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
    store_ref, procs, layers = attach(ref_unet)
    for p in procs:
        p.groups = group_matrix(ref_groups)
    with torch.no_grad():
        eps_ref = ref_unet(noisy, timesteps, base, return_dict=False)[0]
    # Response path: the caller's trained model (params: its trained tensors by name).
    store, procs, _ = attach(unet)
    for p in procs:
        p.groups = group_matrix(res_groups)
    eps = unet(noisy, timesteps, full, return_dict=False)[0]
    l_diff = F.mse_loss(eps.float(), noise.float())

    # Phrase weights.
    rows = []
    for b, c in enumerate(CAPTIONS):
        mask = control[b]
        bp = phrases(c["base"])
        if k["weights"] == "clip":
            d = [1 - cosine(pooled[bp[s]], pooled[c["target"]]) if s < len(bp) else torch.zeros(()) for s in range(P)]
            row = torch.stack(d).float() * mask
            if row.max() > 0:
                row = row / row.max()
        else:
            row = mask.clone()
        rows.append(row)
    weights = torch.stack(rows)

    M = None
    if k["sfcm"]:
        with torch.no_grad():
            diff = eps.detach().float() - eps_ref.float()
            nd = (diff.abs() if k["nd"] == "abs" else diff.square()).mean(dim=1, keepdim=True)
            lo, hi = nd.amin(dim=(2, 3), keepdim=True), nd.amax(dim=(2, 3), keepdim=True)
            nd = (nd - lo) / (hi - lo + EPS)
            sfcm_layers = [n for n in layers if downscale(n) in k["sfcm_down"]]
            acc = None
            for n in sfcm_layers:
                m = resize(store[n]["maps"].detach()[:, :P].float(), 8, 8, k["resize"])
                acc = m if acc is None else acc + m
            ph = acc / len(sfcm_layers)
            ph = ph / (ph.amax(dim=(2, 3), keepdim=True) + EPS)
            pollution = (ph * weights.reshape(2, P, 1, 1)).sum(dim=1, keepdim=True)
            M = (nd - pollution).clamp(0, 1)
            if k["blur"] > 0:
                M = blur(M, k["blur"])
            M = M / (M.amax(dim=(2, 3), keepdim=True) + EPS)

    def weight_at(h, w):
        return resize(1 - M, h, w, k["resize"])

    total_tc = None
    for n in layers:
        r, r0 = store[n]["maps"], store_ref[n]["maps"]
        sq = (r - r0).square()
        if M is not None:
            sq = sq * weight_at(r.shape[2], r.shape[3])
        term = (sq.mean(dim=(2, 3)) * align).sum()
        total_tc = term if total_tc is None else total_tc + term
    l_tc = total_tc / (align.sum().item() * len(layers))
    total_fg = None
    for n in layers:
        q, q0 = store[n]["query"], store_ref[n]["query"]
        per = (q.float() - q0.float()).square().mean(dim=2)
        if M is not None:
            h, w = store[n]["maps"].shape[2:]
            per = per * weight_at(h, w).reshape(2, h * w)
        term = per.mean()
        total_fg = term if total_fg is None else total_fg + term
    l_fg = total_fg / len(layers)
    loss = l_diff + l_tc + l_fg

    out[f"{case}.loss"] = loss.detach().reshape(1)
    out[f"{case}.loss_diffusion"] = l_diff.detach().reshape(1)
    out[f"{case}.loss_tc"] = l_tc.detach().reshape(1)
    out[f"{case}.loss_fg"] = l_fg.detach().reshape(1)
    out[f"{case}.phrase_weights"] = weights
    out[f"{case}.eps_ref"] = eps_ref.detach()
    out[f"{case}.eps_res"] = eps.detach()
    if M is not None:
        out[f"{case}.sfcm"] = M
    for n in layers:
        out[f"{case}.maps.{n}"] = store[n]["maps"].detach()
        out[f"{case}.ref_maps.{n}"] = store_ref[n]["maps"]
    grad_params = [params[n] for n in grad_keys]
    for label, value in (("tc", l_tc), ("fg", l_fg)):
        grads = torch.autograd.grad(value, grad_params, retain_graph=True, allow_unused=True)
        for n, gr in zip(grad_keys, grads):
            # A layer's to_out feeds no capture of its own (queries and maps come before it).
            out[f"{case}.grad_{label}.{n}"] = torch.zeros_like(params[n]) if gr is None else gr.detach()
    loss.backward()
    for n in grad_keys:
        out[f"{case}.grad.{n}"] = params[n].grad.detach().clone()


def main():
    tok = CLIPTokenizer.from_pretrained(MODEL, subfolder="tokenizer")
    text_encoder = CLIPTextModel.from_pretrained(MODEL, subfolder="text_encoder").eval()
    scheduler = DDPMScheduler.from_pretrained(MODEL, subfolder="scheduler")

    texts = []
    for c in CAPTIONS:
        for t in [full_text(c), c["base"], c["target"]] + phrases(c["base"]):
            if t not in texts:
                texts.append(t)
    hidden, pooled = {}, {}
    with torch.no_grad():
        for t in texts:
            ids = tok(t, padding="max_length", max_length=77, truncation=True, return_tensors="pt").input_ids
            o = text_encoder(ids)
            hidden[t], pooled[t] = o.last_hidden_state[0], o.pooler_output[0]

    g = torch.Generator().manual_seed(7)
    unet0 = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
    latents = torch.randn(2, unet0.config.in_channels, 8, 8, generator=g)
    noise = torch.randn(latents.shape, generator=g)
    timesteps = torch.tensor([120, 640], dtype=torch.int64)
    trained_names = [n for n, _ in unet0.named_parameters() if ".attn2." in n]
    # "Stage 1" moved every attn2 tensor; to_k is also scaled up so that the tiny model's near-uniform attention
    # becomes peaked and the phrase maps (hence the SFCM) vary over the image.
    moved = {n: (p.detach() * (SHARPEN if n.endswith("to_k.weight") else 1) + 0.05 * torch.randn(p.shape, generator=g))
             for n, p in unet0.named_parameters() if n in trained_names}

    out = {"latents": latents, "noise": noise, "timesteps": timesteps}
    for i, t in enumerate(texts):
        out[f"text.{i}"] = hidden[t]
    for n in trained_names:
        out[f"moved.{n}"] = moved[n]
    noisy = scheduler.add_noise(latents, noise, timesteps)
    full = torch.stack([hidden[full_text(c)] for c in CAPTIONS])
    base = torch.stack([hidden[c["base"]] for c in CAPTIONS])

    for case, k in CASES.items():
        # Response path: the moved attn2 weights, trained.
        unet = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
        unet.requires_grad_(False)
        params = dict(unet.named_parameters())
        with torch.no_grad():
            for n in trained_names:
                params[n].copy_(moved[n])
        for n in trained_names:
            params[n].requires_grad_(True)
        spf_step(case, k, tok, pooled, noisy, timesteps, noise, full, base, unet, params, GRAD_KEYS, out)

    # LoRA stage 2: the response path is the original UNet with PEFT adapters (rank 4, alpha 4 on to_q, to_k, to_v,
    # to_out.0 of every attention, the engine's [lora] defaults) holding "stage 1" values; the reference path is the
    # original model (what PEFT's disable_adapter runs). Own generator: the cases above keep their draws.
    unet = UNet2DConditionModel.from_pretrained(MODEL, subfolder="unet")
    unet.requires_grad_(False)
    unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                target_modules=["to_q", "to_k", "to_v", "to_out.0"]))
    lora_g = torch.Generator().manual_seed(11)
    params = dict(unet.named_parameters())
    lora_names = sorted(n for n in params if ".lora_A." in n or ".lora_B." in n)
    with torch.no_grad():
        for n in lora_names:
            params[n].copy_(0.3 * torch.randn(params[n].shape, generator=lora_g))
            out["lora_moved." + swift_lora_name(n)] = params[n].detach().clone()
    for n in lora_names:
        params[n].requires_grad_(True)
    lora_out = {}
    spf_step("lora", CASES["spf"], tok, pooled, noisy, timesteps, noise, full, base, unet, params, LORA_GRAD_KEYS, lora_out)
    out.update({swift_lora_name(key): value for key, value in lora_out.items()})

    out = {key: v.contiguous() for key, v in out.items()}
    meta = {"captions": json.dumps(CAPTIONS), "texts": json.dumps(texts), "cases": json.dumps(CASES),
            "torch": torch.__version__}
    save_file(out, OUT, metadata=meta)
    print(f"wrote {OUT}: {len(out)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
