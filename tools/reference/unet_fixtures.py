"""Reference fixtures for the Swift UNet2DConditionModel and its attention capture (Tests/DiffusionTests).

Run from the repository root with the reference environment (torch==2.13.0+cpu, diffusers==0.42.1):

    .venv-reference/bin/python tools/reference/unet_fixtures.py

Writes into Tests/DiffusionTests/Fixtures/ (under 2 MB in all):

    unet_tiny_config.json         config.json of a tiny SD 1.5-shaped UNet as diffusers saves it
                                  (block_out_channels [16, 32], layers_per_block 1, attention_head_dim 2 = heads,
                                  cross_attention_dim 16, norm_num_groups 8, 1x1 Conv2d proj_in/proj_out).
    unet_tiny_weights.safetensors its parameters with the real names. They are rounded to float16 and stored as
                                  float16 (half the size); the reference ran on exactly those values in float32.
    unet_tiny_io.safetensors      inputs and outputs, all float32:
        sample [2,4,8,8], timestep [2], encoder_hidden_states [2,77,16], out;
        scalar.timestep [] and scalar.out (one timestep broadcast to the batch);
        odd.sample [1,4,9,7], odd.encoder_hidden_states, odd.out (upsample_size forwarded);
        time.t_emb (Timesteps), time.emb (TimestepEmbedding);
        btb.* BasicTransformerBlock down_blocks.0.attentions.0.transformer_blocks.0: input [2,64,16], output;
        t2d.* Transformer2DModel down_blocks.0.attentions.0: input [2,16,8,8], output;
        down.* CrossAttnDownBlock2D down_blocks.0 (temb = time.emb): input, output, res.0, res.1;
        mid.* UNetMidBlock2DCrossAttn: input [2,32,4,4], output;
        up.* UpBlock2D up_blocks.0: input [2,32,4,4], res.0 [2,16,4,4], res.1 [2,32,4,4], output [2,32,8,8];
        capture.*: a run with a recording attention processor on three attn2 layers
            (down_blocks.0 / mid_block / up_blocks.1.attentions.1): for layer L,
            capture.L.probs [B, heads, h*w, 77] (raw softmax), capture.L.query = to_q(norm2(h)) [B, h*w, C],
            capture.L.maps [B, groups, h, w] = mean over heads, then sum over each group's tokens;
            capture.out (the same output as `out`: the explicit path is the same function);
        grad.*: gradients of loss = sum(out * up_out) + sum over the captured layers of
            sum(maps * up_maps.L) + sum(query * up_query.L) w.r.t. the sample and a few parameters,
            with the upstream tensors up_out, up_maps.L, up_query.L stored.
    unet_tiny_capture.json        the token groups and captured layer names used above.
    unet_linear_config.json / unet_linear_weights.safetensors / unet_linear_io.safetensors:
        an SD 2-style variant: use_linear_projection (Linear proj_in/proj_out), attention_head_dim [2, 4]
        (heads per block, reversed for the up blocks), layers_per_block [2, 1], transformer_layers_per_block [1, 2],
        flip_sin_to_cos false, freq_shift 1, center_input_sample, upcast_attention, only_cross_attention
        [true, false] (attn1 of down_blocks.0 / up_blocks.1 attends to the text); sample, timestep,
        encoder_hidden_states, out and one captured layer's maps (capture.*).
"""

import json
import os
import sys

# A torchvision wheel that does not match torch 2.13 may sit in the environment; transformers (imported by
# diffusers' loaders) would import it and fail.
sys.modules["torchvision"] = None

import torch  # noqa: E402
from diffusers import UNet2DConditionModel  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

OUT = os.path.join("Tests", "DiffusionTests", "Fixtures")
GROUPS = [[1, 2], [3], [5, 6, 7], list(range(8, 77))]  # phrase spans and a PAD group (EOS .. 76)


class RecordingProcessor:
    """Explicit cross-attention (diffusers' AttnProcessor math) that keeps the probabilities and queries."""

    def __init__(self, store, name):
        self.store = store
        self.name = name

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None, **kwargs):
        batch = hidden_states.shape[0]
        query = attn.to_q(hidden_states)
        key = attn.to_k(encoder_hidden_states)
        value = attn.to_v(encoder_hidden_states)
        q = attn.head_to_batch_dim(query)
        k = attn.head_to_batch_dim(key)
        v = attn.head_to_batch_dim(value)
        probs = attn.get_attention_scores(q, k, None)
        out = attn.batch_to_head_dim(torch.bmm(probs, v))
        out = attn.to_out[1](attn.to_out[0](out))
        self.store[self.name] = {"probs": probs.reshape(batch, attn.heads, *probs.shape[1:]), "query": query}
        return out


def group_maps(probs, height, width):
    mean = probs.mean(dim=1)  # [B, N, S]
    maps = torch.stack([mean[..., g].sum(dim=-1) for g in GROUPS], dim=1)
    return maps.reshape(maps.shape[0], len(GROUPS), height, width)


def randomize(model, seed):
    """Default init plus non-trivial norm affines, rounded to float16 so the stored weights are exact."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name:
                if name.endswith("weight"):
                    p.copy_(1 + 0.1 * torch.randn(p.shape, generator=g))
                else:
                    p.copy_(0.1 * torch.randn(p.shape, generator=g))
            p.copy_(p.half().float())


def half_weights(model):
    return {k: v.detach().half().contiguous() for k, v in model.state_dict().items()}


def save_config(model, name):
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.config.items() if not k.startswith("_")}
    config["_class_name"] = "UNet2DConditionModel"
    config["_diffusers_version"] = "0.42.1"
    with open(os.path.join(OUT, name), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)


def attach_recorders(model, names):
    store = {}
    processors = {}
    for key in model.attn_processors:
        layer = key[: -len(".processor")]
        processors[key] = RecordingProcessor(store, layer) if layer in names else model.attn_processors[key]
    model.set_attn_processor(processors)
    return store


def tiny():
    torch.manual_seed(0)
    model = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(16, 32), layers_per_block=1, attention_head_dim=2, cross_attention_dim=16,
        norm_num_groups=8,
    ).eval()
    randomize(model, 1)
    save_config(model, "unet_tiny_config.json")
    save_file(half_weights(model), os.path.join(OUT, "unet_tiny_weights.safetensors"))

    g = torch.Generator().manual_seed(2)
    t = {}
    t["sample"] = torch.randn(2, 4, 8, 8, generator=g)
    t["timestep"] = torch.tensor([10.0, 981.0])
    t["encoder_hidden_states"] = torch.randn(2, 77, 16, generator=g)
    with torch.no_grad():
        t["out"] = model(t["sample"], t["timestep"], t["encoder_hidden_states"]).sample
        t["scalar.timestep"] = torch.tensor(500.0)
        t["scalar.out"] = model(t["sample"], t["scalar.timestep"], t["encoder_hidden_states"]).sample
        t["odd.sample"] = torch.randn(1, 4, 9, 7, generator=g)
        t["odd.encoder_hidden_states"] = torch.randn(1, 77, 16, generator=g)
        t["odd.out"] = model(t["odd.sample"], torch.tensor([321.0]), t["odd.encoder_hidden_states"]).sample

        t["time.t_emb"] = model.time_proj(t["timestep"])
        t["time.emb"] = model.time_embedding(t["time.t_emb"])
        temb = t["time.emb"]
        enc = t["encoder_hidden_states"]

        block = model.down_blocks[0].attentions[0].transformer_blocks[0]
        t["btb.input"] = torch.randn(2, 64, 16, generator=g)
        t["btb.output"] = block(t["btb.input"], encoder_hidden_states=enc)

        t["t2d.input"] = torch.randn(2, 16, 8, 8, generator=g)
        t["t2d.output"] = model.down_blocks[0].attentions[0](t["t2d.input"], encoder_hidden_states=enc).sample

        t["down.input"] = torch.randn(2, 16, 8, 8, generator=g)
        out, res = model.down_blocks[0](t["down.input"], temb, encoder_hidden_states=enc)
        t["down.output"] = out
        for i, r in enumerate(res):
            t[f"down.res.{i}"] = r

        t["mid.input"] = torch.randn(2, 32, 4, 4, generator=g)
        t["mid.output"] = model.mid_block(t["mid.input"], temb, encoder_hidden_states=enc)

        t["up.input"] = torch.randn(2, 32, 4, 4, generator=g)
        t["up.res.0"] = torch.randn(2, 16, 4, 4, generator=g)
        t["up.res.1"] = torch.randn(2, 32, 4, 4, generator=g)
        t["up.output"] = model.up_blocks[0](t["up.input"], (t["up.res.0"], t["up.res.1"]), temb)

    layers = {
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2": (8, 8),
        "mid_block.attentions.0.transformer_blocks.0.attn2": (4, 4),
        "up_blocks.1.attentions.1.transformer_blocks.0.attn2": (8, 8),
    }
    store = attach_recorders(model, layers)
    sample = t["sample"].clone().requires_grad_(True)
    out = model(sample, t["timestep"], enc).sample
    t["capture.out"] = out.detach()
    t["up_out"] = torch.randn(out.shape, generator=g)
    loss = (out * t["up_out"]).sum()
    for name, (h, w) in layers.items():
        probs = store[name]["probs"]
        maps = group_maps(probs, h, w)
        t[f"capture.{name}.probs"] = probs.detach()
        t[f"capture.{name}.query"] = store[name]["query"].detach()
        t[f"capture.{name}.maps"] = maps.detach()
        t[f"up_maps.{name}"] = torch.rand(maps.shape, generator=g)
        t[f"up_query.{name}"] = torch.randn(store[name]["query"].shape, generator=g)
        loss = loss + (maps * t[f"up_maps.{name}"]).sum() + (store[name]["query"] * t[f"up_query.{name}"]).sum()
    loss.backward()
    t["grad.sample"] = sample.grad
    params = dict(model.named_parameters())
    for name in [
        "conv_in.weight",
        "time_embedding.linear_1.weight",
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_q.weight",
        "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight",
        "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight",
        "mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight",
        "up_blocks.1.attentions.1.transformer_blocks.0.attn1.to_out.0.weight",
        "up_blocks.1.attentions.1.proj_out.weight",
        "up_blocks.0.resnets.1.conv1.bias",
        "up_blocks.0.resnets.1.norm1.weight",
        "conv_out.bias",
    ]:
        t[f"grad.{name}"] = params[name].grad

    save_file({k: v.detach().float().clone().contiguous() for k, v in t.items()}, os.path.join(OUT, "unet_tiny_io.safetensors"))
    with open(os.path.join(OUT, "unet_tiny_capture.json"), "w") as f:
        json.dump({"groups": GROUPS, "layers": list(layers)}, f, indent=2)
    return model


def linear():
    torch.manual_seed(3)
    model = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, center_input_sample=True, flip_sin_to_cos=False, freq_shift=1,
        down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
        block_out_channels=(8, 16), layers_per_block=(2, 1), attention_head_dim=(2, 4), cross_attention_dim=12,
        norm_num_groups=4, use_linear_projection=True, transformer_layers_per_block=(1, 2), upcast_attention=True,
        only_cross_attention=(True, False),
    ).eval()
    randomize(model, 4)
    save_config(model, "unet_linear_config.json")
    save_file(half_weights(model), os.path.join(OUT, "unet_linear_weights.safetensors"))
    g = torch.Generator().manual_seed(5)
    t = {"sample": torch.randn(2, 4, 8, 8, generator=g), "timestep": torch.tensor([3.0, 700.0]),
         "encoder_hidden_states": torch.randn(2, 77, 12, generator=g)}
    name = "up_blocks.0.attentions.1.transformer_blocks.1.attn2"  # 4 heads (reversed), 1/2 resolution
    store = attach_recorders(model, {name})
    with torch.no_grad():
        t["out"] = model(t["sample"], t["timestep"], t["encoder_hidden_states"]).sample
    t["capture.probs"] = store[name]["probs"]
    t["capture.maps"] = group_maps(store[name]["probs"], 4, 4)
    t["capture.query"] = store[name]["query"]
    save_file({k: v.detach().clone().contiguous() for k, v in t.items()}, os.path.join(OUT, "unet_linear_io.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    tiny()
    linear()
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT) if f.startswith("unet_"))
    print(f"wrote {OUT}/unet_* ({total / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
