"""Reference fixtures for the Swift shared diffusion blocks and AutoencoderKL (Tests/DiffusionTests).

Run from the repository root with the reference environment (torch==2.13.0+cpu, diffusers==0.42.1):

    .venv-reference/bin/python tools/reference/vae_fixtures.py

Writes into Tests/DiffusionTests/Fixtures/ (about 0.5 MB in all):

    blocks_<case>.safetensors, one per block case (all float32):
        param.<name>        the block's parameters with diffusers' names (random, norms' affine included)
        input, temb / encoder_hidden_states (where used), upstream, output
        grad.input, grad.temb / grad.encoder_hidden_states, grad.param.<name>: gradients of
                            sum(output * upstream)
      cases (the Swift tests build the same blocks):
        resnet_temb          ResnetBlock2D(in 8, out 16, temb 12, groups 4): shortcut and time embedding
        resnet_plain         ResnetBlock2D(in 8, out 8, temb None, groups 4)
        resnet_scaled        ResnetBlock2D(in 8, out 16, temb None, groups 4, groups_out 8, output_scale_factor 2)
        down_pad1            Downsample2D(8, use_conv, out 16, padding 1, name "op") on an odd 7x7 input
        down_pad0            Downsample2D(8, use_conv, padding 0, name "op"): the VAE encoder's (0,1,0,1) pad
        up                   Upsample2D(8, use_conv, out 4), x2 on 3x5
        up_size              the same weights with output_size (7, 11)
        attn_self            Attention(16, heads 2, dim_head 8) on [2, 10, 16]
        attn_cross           Attention(16, cross_attention_dim 12, heads 2, dim_head 4) (inner 8 != query 16)
        attn_vae             the VAE mid-block form: Attention(16, heads 1, dim_head 16, bias, norm_num_groups 4,
                             eps 1e-6, residual_connection, upcast_softmax) on [2, 16, 4, 5]
    vae_tiny_config.json    config.json of a tiny AutoencoderKL as diffusers saves it (block_out_channels
                            [16, 32], layers_per_block 1, norm_num_groups 8, latent_channels 4, sample_size 32)
    vae_tiny_weights.safetensors  its parameters, rounded to float16 and stored as float16 (the reference ran
                            on exactly those values in float32)
    vae_tiny_io.safetensors (float32):
        image [2, 3, 32, 32], mean, logvar, std (posterior), sample (posterior.sample with
        torch.Generator().manual_seed(SAMPLE_SEED) = 1234), decoded (decode(sample)),
        z [2, 4, 8, 8] (random latents), z_decoded, upstream, grad.z and grad.param.<name> (gradients of
        sum(decode(z) * upstream)), and big_logvar.* : a run with quant_conv's bias shifted so that logvar
        is clamped at both ends (clamp check).
"""

import json
import os
import sys

sys.modules["torchvision"] = None  # a mismatched torchvision wheel would break diffusers' imports

import torch  # noqa: E402
from diffusers import AutoencoderKL  # noqa: E402
from diffusers.models.attention_processor import Attention  # noqa: E402
from diffusers.models.downsampling import Downsample2D  # noqa: E402
from diffusers.models.resnet import ResnetBlock2D  # noqa: E402
from diffusers.models.upsampling import Upsample2D  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

OUT = os.path.join("Tests", "DiffusionTests", "Fixtures")
SAMPLE_SEED = 1234


def randomize(module, gen):
    """Random weights at roughly default scale, with non-trivial GroupNorm affine parameters."""
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.ndim == 1 and ("norm" in name):
                base = 1.0 if name.endswith("weight") else 0.0
                p.copy_(base + 0.2 * torch.randn(p.shape, generator=gen))
            else:
                fan_in = p[0].numel() if p.ndim > 1 else p.numel()
                p.copy_(torch.randn(p.shape, generator=gen) / fan_in ** 0.5)


def block_case(name, module, inputs, forward, gen, grad_params):
    """Runs forward on named inputs, stores output and gradients of sum(output * upstream)."""
    module.eval()
    module.zero_grad(set_to_none=True)  # a module reused by two cases must not accumulate
    tensors = {f"param.{k}": v.detach().clone() for k, v in module.state_dict().items()}
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = forward(module, **leaves)
    upstream = torch.randn(out.shape, generator=gen)
    (out * upstream).sum().backward()
    tensors.update({k: v.detach() for k, v in inputs.items()})
    tensors["output"] = out.detach()
    tensors["upstream"] = upstream
    for k, v in leaves.items():
        tensors[f"grad.{k}"] = v.grad
    params = dict(module.named_parameters())
    for p in grad_params:
        tensors[f"grad.param.{p}"] = params[p].grad
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(OUT, f"blocks_{name}.safetensors"))


def blocks(gen):
    def resnet(m, input, temb=None):
        return m(input, temb)

    m = ResnetBlock2D(in_channels=8, out_channels=16, temb_channels=12, groups=4)
    randomize(m, gen)
    block_case("resnet_temb", m, {"input": torch.randn(2, 8, 6, 6, generator=gen),
                                  "temb": torch.randn(2, 12, generator=gen)},
               resnet, gen, ["conv1.weight", "time_emb_proj.weight", "norm2.bias", "conv_shortcut.weight"])

    m = ResnetBlock2D(in_channels=8, out_channels=8, temb_channels=None, groups=4)
    randomize(m, gen)
    block_case("resnet_plain", m, {"input": torch.randn(2, 8, 5, 6, generator=gen)},
               resnet, gen, ["norm1.weight", "conv2.weight", "conv2.bias"])

    m = ResnetBlock2D(in_channels=8, out_channels=16, temb_channels=None, groups=4, groups_out=8,
                      output_scale_factor=2.0)
    randomize(m, gen)
    block_case("resnet_scaled", m, {"input": torch.randn(1, 8, 4, 4, generator=gen)},
               resnet, gen, ["conv1.weight", "conv_shortcut.bias"])

    def plain(m, input):
        return m(input)

    m = Downsample2D(8, use_conv=True, out_channels=16, padding=1, name="op")
    randomize(m, gen)
    block_case("down_pad1", m, {"input": torch.randn(2, 8, 7, 7, generator=gen)}, plain, gen, ["conv.weight"])

    m = Downsample2D(8, use_conv=True, padding=0, name="op")
    randomize(m, gen)
    block_case("down_pad0", m, {"input": torch.randn(2, 8, 8, 8, generator=gen)}, plain, gen,
               ["conv.weight", "conv.bias"])

    m = Upsample2D(8, use_conv=True, out_channels=4)
    randomize(m, gen)
    block_case("up", m, {"input": torch.randn(2, 8, 3, 5, generator=gen)}, plain, gen, ["conv.weight"])
    block_case("up_size", m, {"input": torch.randn(2, 8, 3, 5, generator=gen)},
               lambda m, input: m(input, output_size=(7, 11)), gen, ["conv.weight"])

    def attention(m, input, encoder_hidden_states=None):
        return m(input, encoder_hidden_states=encoder_hidden_states)

    m = Attention(16, heads=2, dim_head=8)
    randomize(m, gen)
    block_case("attn_self", m, {"input": torch.randn(2, 10, 16, generator=gen)}, attention, gen,
               ["to_q.weight", "to_v.weight", "to_out.0.bias"])

    m = Attention(16, cross_attention_dim=12, heads=2, dim_head=4)
    randomize(m, gen)
    block_case("attn_cross", m, {"input": torch.randn(2, 10, 16, generator=gen),
                                 "encoder_hidden_states": torch.randn(2, 7, 12, generator=gen)},
               attention, gen, ["to_k.weight", "to_out.0.weight"])

    m = Attention(16, heads=1, dim_head=16, bias=True, norm_num_groups=4, eps=1e-6, residual_connection=True,
                  upcast_softmax=True, _from_deprecated_attn_block=True)
    randomize(m, gen)
    block_case("attn_vae", m, {"input": torch.randn(2, 16, 4, 5, generator=gen)}, attention, gen,
               ["group_norm.weight", "to_q.bias", "to_k.weight"])


def tiny_vae(gen):
    vae = AutoencoderKL(
        in_channels=3, out_channels=3,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
        block_out_channels=[16, 32], layers_per_block=1, act_fn="silu", latent_channels=4,
        norm_num_groups=8, sample_size=32,
    )
    randomize(vae, gen)
    with torch.no_grad():
        for p in vae.parameters():
            p.copy_(p.half().float())
    vae.eval()
    # diffusers' internal _use_default_values (a set: its order changes run to run) is left out.
    config = {k: (list(v) if isinstance(v, tuple) else v) for k, v in vae.config.items() if not k.startswith("_")}
    config["_class_name"] = "AutoencoderKL"
    config["_diffusers_version"] = "0.42.1"
    with open(os.path.join(OUT, "vae_tiny_config.json"), "w") as f:
        json.dump(config, f, indent=2, sort_keys=True)
    save_file({k: v.half().contiguous() for k, v in vae.state_dict().items()},
              os.path.join(OUT, "vae_tiny_weights.safetensors"))

    io = {}
    image = torch.rand(2, 3, 32, 32, generator=gen) * 2 - 1
    with torch.no_grad():
        posterior = vae.encode(image).latent_dist
        sample = posterior.sample(generator=torch.Generator().manual_seed(SAMPLE_SEED))
        # sample keeps the strides of mean (a chunk of the encoder output); decode the contiguous tensor the
        # fixture stores, since convolutions may sum in another order for other strides (~1e-6 apart).
        decoded = vae.decode(sample.contiguous()).sample
    io.update(image=image, mean=posterior.mean, logvar=posterior.logvar, std=posterior.std, sample=sample,
              decoded=decoded)

    z = torch.randn(2, 4, 8, 8, generator=gen).requires_grad_(True)
    out = vae.decode(z).sample
    upstream = torch.randn(out.shape, generator=gen)
    (out * upstream).sum().backward()
    io.update(z=z.detach(), z_decoded=out.detach(), upstream=upstream, **{"grad.z": z.grad})
    params = dict(vae.named_parameters())
    for name in ["post_quant_conv.weight", "decoder.conv_in.weight", "decoder.mid_block.attentions.0.to_q.weight",
                 "decoder.up_blocks.0.resnets.1.conv2.weight", "decoder.up_blocks.0.upsamplers.0.conv.bias",
                 "decoder.conv_out.weight"]:
        io[f"grad.param.{name}"] = params[name].grad

    # Shift logvar far out both ways (channel 4..7 of quant_conv's output is logvar) to exercise the clamp.
    with torch.no_grad():
        bias = vae.quant_conv.bias
        saved = bias.clone()
        bias[4:6] += 100.0
        bias[6:8] -= 100.0
        posterior = vae.encode(image).latent_dist
        io["big_logvar.mean"] = posterior.mean
        io["big_logvar.logvar"] = posterior.logvar
        bias.copy_(saved)
    save_file({k: v.contiguous() for k, v in io.items()}, os.path.join(OUT, "vae_tiny_io.safetensors"))


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    blocks(gen)
    tiny_vae(gen)


if __name__ == "__main__":
    main()
