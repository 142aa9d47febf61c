"""Reference fixtures for the Swift CLIP module (Tests/CLIPTests).

Run from the repository root with the reference environment (torch==2.13.0+cpu, transformers==5.24.0, Pillow):

    .venv-reference/bin/python tools/reference/clip_fixtures.py

Writes into Tests/CLIPTests/Fixtures/ (about 1 MB in all):

    text_legacy.safetensors   CLIPTextModelWithProjection, tiny config with the REAL parameter names
                              (text_model.*, text_projection.weight), eos_token_id = 2 (SD 1.5's legacy config:
                              pooled output = argmax of the ids), quick_gelu, 77 positions:
        input_ids [2, 77] (int64), last_hidden_state, hidden_states.{0..L} (embeddings, then every layer,
        without the final layer norm), pooled, text_embeds,
        layer.input / layer.output_causal / layer.output_full: encoder layer 0 on a random input with the
        causal mask and without a mask,
        grad.*: gradients of loss = sum(text_embeds^2) + mean(hidden_states[-2]) w.r.t. a few parameters.
    text_eos.safetensors      CLIPTextModelWithProjection with eos_token_id = 500 (pooled = first eos position,
                              not the largest id), gelu, right padding with an attention mask:
        input_ids [2, 16], attention_mask [2, 16], last_hidden_state, hidden_states.*, pooled, text_embeds;
        left.*: the same ids left-padded (input_ids, attention_mask, last_hidden_state, pooled).
    vision.safetensors        CLIPVisionModelWithProjection (vision_model.*, visual_projection.weight):
        pixel_values [2, 3, 32, 32], last_hidden_state, hidden_states.*, pooled, image_embeds.
    clip.safetensors          CLIPModel (text_model.*, vision_model.*, text_projection.weight,
                              visual_projection.weight, logit_scale): input_ids, pixel_values, text_embeds,
        image_embeds (both normalized), logits_per_text, and grad.* of loss = -mean(diag(logits_per_text))
        w.r.t. pixel_values and a few parameters (the differentiable CLIP loss).
    preprocess.safetensors    image [40, 48, 3] uint8; processor: CLIPImageProcessor (PIL bicubic on uint8,
                              shortest edge 32, center crop 32) pixel_values; tensor: our tensor recipe (x/255,
                              torch bicubic antialias resize, center crop, normalize) pixel_values.
    *.json                    the config.json of each model as transformers writes it, plus measured numbers
                              (eager vs sdpa differences, processor vs tensor preprocessing difference,
                              parameter counts of SD 1.5's text encoder and of the ViT-L/14 vision tower).

Attention runs with transformers' default ("sdpa"); the eager path is run too and its max difference recorded.
"""

import json
import os
import sys

# A torchvision wheel that does not match torch 2.13 may sit in the environment; transformers would import it
# (and fail). Hiding it makes transformers use its PIL image processor, which is the reference we want anyway.
sys.modules["torchvision"] = None

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from PIL import Image  # noqa: E402
from safetensors.torch import save_file  # noqa: E402
from transformers import (  # noqa: E402
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPTextConfig,
    CLIPTextModelWithProjection,
    CLIPVisionConfig,
    CLIPVisionModelWithProjection,
)

OUT = os.path.join("Tests", "CLIPTests", "Fixtures")
OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


def text_config(**overrides):
    base = dict(vocab_size=1000, hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=3,
                num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu", layer_norm_eps=1e-5,
                pad_token_id=1, bos_token_id=998, eos_token_id=2)
    base.update(overrides)
    return CLIPTextConfig(**base)


def vision_config():
    return CLIPVisionConfig(hidden_size=32, intermediate_size=64, projection_dim=16, num_hidden_layers=2,
                            num_attention_heads=4, num_channels=3, image_size=32, patch_size=8,
                            hidden_act="quick_gelu", layer_norm_eps=1e-5)


def randomize(model, gen):
    """Random weights at a scale where every part matters (default init leaves norms at 1/0)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("logit_scale"):
                p.fill_(2.6592)
            elif "norm" in name and name.endswith("weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))


def state(model, prefix=""):
    return {prefix + k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}


def config_json(config, extra=None):
    d = config.to_dict()
    if extra:
        d.update(extra)
    return d


def eager_copy(model_cls, config, model):
    config = config.__class__.from_dict(config.to_dict())
    config._attn_implementation = "eager"
    eager = model_cls(config)
    eager.load_state_dict(model.state_dict())
    return eager.eval()


def max_diff(a, b):
    return float((a - b).abs().max().detach())


def save(out, name):
    save_file({k: v.detach().clone().contiguous() for k, v in out.items()}, os.path.join(OUT, name + ".safetensors"))


def text_ids(gen, batch, length, lengths, bos, eos, pad, high):
    ids = torch.full((batch, length), pad, dtype=torch.int64)
    for b, n in enumerate(lengths):
        ids[b, 0] = bos
        ids[b, 1:n - 1] = torch.randint(3, high, (n - 2,), generator=gen)
        ids[b, n - 1] = eos
    return ids


def text_case(name, config, ids, mask, gen, with_grads):
    model = CLIPTextModelWithProjection(config).eval()
    randomize(model, gen)
    assert model.config._attn_implementation == "sdpa", model.config._attn_implementation
    out = {**state(model)}
    assert all(k.startswith("text_model.") or k == "text_projection.weight" for k in out), list(out)[:5]
    out["input_ids"] = ids
    if mask is not None:
        out["attention_mask"] = mask
    o = model(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    out["last_hidden_state"] = o.last_hidden_state.detach()
    for i, h in enumerate(o.hidden_states):
        out[f"hidden_states.{i}"] = h.detach()
    # The pooled output as CLIPTextModel computes it (pooler_output) comes from the inner text model.
    inner = model.text_model(input_ids=ids, attention_mask=mask)
    out["pooled"] = inner.pooler_output.detach()
    out["text_embeds"] = o.text_embeds.detach()
    eager = eager_copy(CLIPTextModelWithProjection, config, model)
    e = eager(input_ids=ids, attention_mask=mask, output_hidden_states=True)
    meta = {"eager_vs_sdpa_last_hidden_state": max_diff(e.last_hidden_state, o.last_hidden_state),
            "eager_vs_sdpa_text_embeds": max_diff(e.text_embeds, o.text_embeds),
            "num_hidden_states": len(o.hidden_states)}

    if mask is not None:
        # Left padding: the padded queries see no key at all. torch's SDPA (transformers' default) returns zeros
        # for such rows, eager attention a uniform average; real tokens agree. The Swift side follows sdpa.
        left_ids = torch.roll(ids, shifts=3, dims=1)
        left_mask = torch.roll(mask, shifts=3, dims=1)
        left_ids[1, :3] = config.pad_token_id
        left_mask[1, :3] = 0
        lo = model.text_model(input_ids=left_ids, attention_mask=left_mask)
        out["left.input_ids"] = left_ids
        out["left.attention_mask"] = left_mask
        out["left.last_hidden_state"] = lo.last_hidden_state.detach()
        out["left.pooled"] = lo.pooler_output.detach()

    if with_grads:
        # One encoder layer alone, causal and unmasked (the text and the vision use of the same layer).
        layer = model.text_model.encoder.layers[0]
        x = torch.randn(2, 7, config.hidden_size, generator=gen)
        s = x.shape[1]
        causal = torch.full((s, s), float("-inf")).triu(1)[None, None]
        out["layer.input"] = x
        out["layer.output_causal"] = layer(x, causal).detach()
        out["layer.output_full"] = layer(x, None).detach()

        model.zero_grad()
        o = model(input_ids=ids, output_hidden_states=True)
        loss = (o.text_embeds ** 2).sum() + o.hidden_states[-2].mean()
        loss.backward()
        out["loss"] = loss.detach().reshape(1)
        named = dict(model.named_parameters())
        for key in ["text_model.embeddings.token_embedding.weight", "text_model.embeddings.position_embedding.weight",
                    "text_model.encoder.layers.0.self_attn.q_proj.weight",
                    "text_model.encoder.layers.1.mlp.fc1.bias", "text_model.final_layer_norm.weight",
                    "text_projection.weight"]:
            out["grad." + key] = named[key].grad.detach().clone()
    save(out, name)
    return config_json(config), meta


def vision_case(gen):
    config = vision_config()
    model = CLIPVisionModelWithProjection(config).eval()
    randomize(model, gen)
    out = {**state(model)}
    pixels = torch.randn(2, 3, 32, 32, generator=gen)
    out["pixel_values"] = pixels
    o = model(pixel_values=pixels, output_hidden_states=True)
    out["last_hidden_state"] = o.last_hidden_state.detach()
    for i, h in enumerate(o.hidden_states):
        out[f"hidden_states.{i}"] = h.detach()
    out["pooled"] = model.vision_model(pixel_values=pixels).pooler_output.detach()
    out["image_embeds"] = o.image_embeds.detach()
    e = eager_copy(CLIPVisionModelWithProjection, config, model)(pixel_values=pixels)
    save(out, "vision")
    return config_json(config), {"eager_vs_sdpa_image_embeds": max_diff(e.image_embeds, o.image_embeds),
                                 "num_hidden_states": len(o.hidden_states)}


def clip_case(gen):
    config = CLIPConfig(text_config=text_config(eos_token_id=999, bos_token_id=998).to_dict(),
                        vision_config=vision_config().to_dict(), projection_dim=16)
    model = CLIPModel(config).eval()
    randomize(model, gen)
    out = {**state(model)}
    ids = text_ids(gen, 3, 12, [12, 9, 5], bos=998, eos=999, pad=999, high=997)
    pixels = torch.randn(2, 3, 32, 32, generator=gen, requires_grad=True)
    o = model(input_ids=ids, pixel_values=pixels)
    out["input_ids"] = ids
    out["pixel_values"] = pixels.detach().clone()
    out["text_embeds"] = o.text_embeds.detach()
    out["image_embeds"] = o.image_embeds.detach()
    out["logits_per_text"] = o.logits_per_text.detach()
    # A CLIP-score-like loss: image i against text i.
    loss = -o.logits_per_text[:2, :2].diagonal().mean()
    loss.backward()
    out["loss"] = loss.detach().reshape(1)
    out["grad.pixel_values"] = pixels.grad.detach().clone()
    named = dict(model.named_parameters())
    for key in ["vision_model.embeddings.patch_embedding.weight", "vision_model.embeddings.class_embedding",
                "vision_model.pre_layrnorm.weight", "visual_projection.weight", "logit_scale"]:
        out["grad." + key] = named[key].grad.detach().clone().reshape(named[key].shape)
    save(out, "clip")
    return config_json(config)


def tensor_preprocess(image_u8, size):
    """Our tensor recipe (what Sources/CLIP/CLIPImagePreprocessing.swift does)."""
    x = torch.from_numpy(image_u8).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    if h <= w:
        nh, nw = size, int(size * w / h)
    else:
        nh, nw = int(size * h / w), size
    x = F.interpolate(x, size=(nh, nw), mode="bicubic", align_corners=False, antialias=True)
    top, left = (nh - size) // 2, (nw - size) // 2
    x = x[..., top:top + size, left:left + size]
    mean = torch.tensor(OPENAI_CLIP_MEAN)[None, :, None, None]
    std = torch.tensor(OPENAI_CLIP_STD)[None, :, None, None]
    return (x - mean) / std


def preprocess_case(gen):
    # A smooth image with detail (gradients, a disc and noise), 40 x 48, so both resize and crop matter.
    h, w = 40, 48
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    noise = torch.rand(h, w, 3, generator=gen, dtype=torch.float64).numpy()
    disc = ((yy - 18) ** 2 + (xx - 27) ** 2 < 120).astype(np.float64)
    img = np.stack([xx / w, yy / h, 0.5 + 0.5 * np.sin(xx / 5 + yy / 7)], axis=-1) * 0.7 + 0.2 * disc[..., None]
    img = np.clip((img + 0.1 * noise) * 255, 0, 255).round().astype(np.uint8)
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    reference = torch.from_numpy(np.asarray(processor(images=Image.fromarray(img), return_tensors="np")["pixel_values"]))
    ours = tensor_preprocess(img, 32)
    save_file({"image": torch.from_numpy(img), "processor": reference.float(), "tensor": ours.float()},
              os.path.join(OUT, "preprocess.safetensors"))
    diff = (ours - reference).abs()
    # Also in [0, 1] pixel units (undo the normalization) to make the number readable.
    std = torch.tensor(OPENAI_CLIP_STD)[None, :, None, None]
    return {"processor_class": type(processor).__name__, "max_abs_diff_normalized": float(diff.max()),
            "mean_abs_diff_normalized": float(diff.mean()),
            "max_abs_diff_pixels_0_1": float((diff * std).max()), "mean_abs_diff_pixels_0_1": float((diff * std).mean())}


def parameter_counts():
    with torch.device("meta"):
        sd15 = CLIPTextModelWithProjection(CLIPTextConfig(
            vocab_size=49408, hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
            max_position_embeddings=77, projection_dim=768)).text_model
        vit_l = CLIPVisionModelWithProjection(CLIPVisionConfig(
            hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16, image_size=224,
            patch_size=14, projection_dim=768))
    return {"sd15_text_encoder": sum(p.numel() for p in sd15.parameters()),
            "vit_l14_vision_model": sum(p.numel() for p in vit_l.vision_model.parameters()),
            "vit_l14_vision_with_projection": sum(p.numel() for p in vit_l.parameters())}


def main():
    assert torch.__version__.startswith("2.13.0"), torch.__version__
    import transformers
    assert transformers.__version__ == "5.24.0", transformers.__version__
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    gen = torch.Generator().manual_seed(20240611)
    meta = {}

    # SD 1.5 style: legacy eos_token_id = 2, ids padded with the end token (the largest id), 77 positions.
    config = text_config()
    ids = text_ids(gen, 2, 77, [9, 20], bos=998, eos=999, pad=999, high=997)
    cfg, meta["text_legacy"] = text_case("text_legacy", config, ids, None, gen, with_grads=True)
    json.dump(cfg, open(os.path.join(OUT, "text_legacy.json"), "w"), indent=1, sort_keys=True)

    # Newer configs: first position of eos_token_id; ids larger than eos occur, so argmax would be wrong.
    config = text_config(eos_token_id=500, hidden_act="gelu")
    ids = text_ids(gen, 2, 16, [16, 6], bos=998, eos=500, pad=1, high=997)
    ids[ids == 500] = 501
    ids[0, 15] = 500
    ids[1, 5] = 500
    mask = (torch.arange(16)[None] < torch.tensor([[16], [6]])).long()
    cfg, meta["text_eos"] = text_case("text_eos", config, ids, mask, gen, with_grads=False)
    assert (ids[0].argmax() != 15), "the eos case must distinguish argmax from the first eos"
    json.dump(cfg, open(os.path.join(OUT, "text_eos.json"), "w"), indent=1, sort_keys=True)

    cfg, meta["vision"] = vision_case(gen)
    json.dump(cfg, open(os.path.join(OUT, "vision.json"), "w"), indent=1, sort_keys=True)

    cfg = clip_case(gen)
    json.dump(cfg, open(os.path.join(OUT, "clip.json"), "w"), indent=1, sort_keys=True)

    meta["preprocess"] = preprocess_case(gen)
    meta["parameter_counts"] = parameter_counts()
    json.dump(meta, open(os.path.join(OUT, "measurements.json"), "w"), indent=1, sort_keys=True)
    print(json.dumps(meta, indent=1))


if __name__ == "__main__":
    main()
