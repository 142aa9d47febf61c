"""Reference fixtures for the Swift checkpoint formats (Tests/StableDiffusionTests, Sources/StableDiffusion/Checkpoints).

Run from the repository root with the reference environment (torch==2.13.0+cpu, diffusers==0.42.1,
transformers==5.24.0, safetensors):

    .venv-reference/bin/python tools/reference/checkpoint_fixtures.py

Writes into Tests/StableDiffusionTests/Fixtures/ (well under 1.5 MB in all):

    ckpt_ldm_tiny.safetensors       a TINY single-file checkpoint in the original LDM layout of SD 1.5, float16:
        model.diffusion_model.*     UNet, model_channels 8, channel_mult [1, 2], num_res_blocks 1, attention at the
                                    first level (attention_resolutions [1]), context_dim 16, conv proj_in/out
        model_ema.*                 an EMA copy of the UNet (other values) under LDM's flattened EMA names
        first_stage_model.*         VAE, ch 8, ch_mult [1, 2], num_res_blocks 1, z_channels 4 (1x1 conv attention)
        cond_stage_model.transformer.text_model.*   CLIP text, hidden 16, 2 layers, 8 positions, vocab 32,
                                    with the int64 embeddings.position_ids buffer
        betas, alphas_cumprod, ... model_ema.decay, model_ema.num_updates: LatentDiffusion's non-weight buffers
    ckpt_diffusers_tiny.safetensors what diffusers 0.42.1 converts it to, one prefix per component:
        unet.*      convert_ldm_unet_checkpoint(ckpt, config)
        unet_ema.*  convert_ldm_unet_checkpoint(ckpt, config, extract_ema=True)
        vae.*       convert_ldm_vae_checkpoint(ckpt, config)   (mid-block attention 1x1 convs -> linear)
        text_encoder.*  convert_ldm_clip_checkpoint(ckpt) without position_ids, as transformers drops it
    ckpt_tiny_configs.json          the LDM params used, create_unet/vae_diffusers_config_from_ldm's configs for
                                    the tiny layout and for SD 1.5 (v1-inference.yaml's params)
    ckpt_sd15_header.safetensors    every tensor NAME of a real SD 1.5 LDM checkpoint (v1-5-pruned: UNet, VAE, CLIP,
                                    position_ids, DDPM buffers, model_ema.decay/num_updates) with 1-element data
                                    ([1, 1, 1, 1] for the VAE attention convs), for header-only key planning
    ckpt_sd15_diffusers_keys.json   the diffusers names diffusers converts those to, per component; checked here
                                    to equal the state_dict keys of SD 1.5-sized diffusers/transformers models
    ckpt_folder/                    a tiny diffusers pipeline folder written by diffusers' own save_pretrained:
        model_index.json, unet/ (config.json, fp32 diffusion_pytorch_model.safetensors and the .fp16 variant),
        vae/ (config.json, float16, 2-shard diffusion_pytorch_model-0000{1,2}-of-00002.safetensors + .safetensors.index.json),
        text_encoder/ (config.json, model.fp16.safetensors only, text_model.* names as SD 1.5 folders hold them),
        tokenizer/ (tiny vocab.json, merges.txt, tokenizer_config.json), scheduler/scheduler_config.json
        Tensors equal ckpt_diffusers_tiny's unet.*, vae.*, text_encoder.* (fp16 variants: .half() of those).
"""

import json
import os
import shutil
import sys
from collections import OrderedDict

import torch
from safetensors.torch import load_file, save_file

from diffusers import AutoencoderKL, UNet2DConditionModel, DDIMScheduler
from diffusers.loaders import single_file_utils as sfu
from transformers import CLIPTextConfig, CLIPTextModel

OUT = "Tests/StableDiffusionTests/Fixtures"


# ---------------------------------------------------------------- LDM layouts (names and shapes)

def ldm_unet(mc, mult, nrb, attn_levels, ctx, in_ch=4, out_ch=4, depth=1):
    """The state-dict names/shapes of ldm's openaimodel.UNetModel with SpatialTransformer (SD 1.x layout)."""
    s = OrderedDict()
    ted = mc * 4

    def lin(p, o, i, bias=True):
        s[p + ".weight"] = [o, i]
        if bias:
            s[p + ".bias"] = [o]

    def conv(p, o, i, k):
        s[p + ".weight"] = [o, i, k, k]
        s[p + ".bias"] = [o]

    def norm(p, c):
        s[p + ".weight"] = [c]
        s[p + ".bias"] = [c]

    def res(p, cin, cout):
        norm(p + ".in_layers.0", cin)
        conv(p + ".in_layers.2", cout, cin, 3)
        lin(p + ".emb_layers.1", cout, ted)
        norm(p + ".out_layers.0", cout)
        conv(p + ".out_layers.3", cout, cout, 3)
        if cin != cout:
            conv(p + ".skip_connection", cout, cin, 1)

    def st(p, ch):
        norm(p + ".norm", ch)
        conv(p + ".proj_in", ch, ch, 1)
        for d in range(depth):
            b = f"{p}.transformer_blocks.{d}"
            for a, kv in (("attn1", ch), ("attn2", ctx)):
                lin(f"{b}.{a}.to_q", ch, ch, bias=False)
                lin(f"{b}.{a}.to_k", ch, kv, bias=False)
                lin(f"{b}.{a}.to_v", ch, kv, bias=False)
                lin(f"{b}.{a}.to_out.0", ch, ch)
                if a == "attn1":
                    lin(f"{b}.ff.net.0.proj", ch * 8, ch)
                    lin(f"{b}.ff.net.2", ch, ch * 4)
            for n in ("norm1", "norm2", "norm3"):
                norm(f"{b}.{n}", ch)
        conv(p + ".proj_out", ch, ch, 1)

    lin("time_embed.0", ted, mc)
    lin("time_embed.2", ted, ted)
    conv("input_blocks.0.0", mc, in_ch, 3)
    ch, chans, idx = mc, [mc], 1
    for level, m in enumerate(mult):
        for _ in range(nrb):
            res(f"input_blocks.{idx}.0", ch, m * mc)
            ch = m * mc
            if level in attn_levels:
                st(f"input_blocks.{idx}.1", ch)
            chans.append(ch)
            idx += 1
        if level != len(mult) - 1:
            conv(f"input_blocks.{idx}.0.op", ch, ch, 3)
            chans.append(ch)
            idx += 1
    res("middle_block.0", ch, ch)
    st("middle_block.1", ch)
    res("middle_block.2", ch, ch)
    idx = 0
    for level, m in list(enumerate(mult))[::-1]:
        for i in range(nrb + 1):
            res(f"output_blocks.{idx}.0", ch + chans.pop(), m * mc)
            ch = m * mc
            j = 1
            if level in attn_levels:
                st(f"output_blocks.{idx}.1", ch)
                j = 2
            if level and i == nrb:
                conv(f"output_blocks.{idx}.{j}.conv", ch, ch, 3)
            idx += 1
    norm("out.0", ch)
    conv("out.2", out_ch, mc, 3)
    return s


def ldm_vae(ch, ch_mult, nrb, z, in_ch=3, out_ch=3):
    """The state-dict names/shapes of ldm's AutoencoderKL (Encoder, Decoder, quant convs)."""
    s = OrderedDict()

    def conv(p, o, i, k):
        s[p + ".weight"] = [o, i, k, k]
        s[p + ".bias"] = [o]

    def norm(p, c):
        s[p + ".weight"] = [c]
        s[p + ".bias"] = [c]

    def res(p, cin, cout):
        norm(p + ".norm1", cin)
        conv(p + ".conv1", cout, cin, 3)
        norm(p + ".norm2", cout)
        conv(p + ".conv2", cout, cout, 3)
        if cin != cout:
            conv(p + ".nin_shortcut", cout, cin, 1)

    def attn(p, c):
        norm(p + ".norm", c)
        for n in ("q", "k", "v", "proj_out"):
            conv(f"{p}.{n}", c, c, 1)

    def mid(p, c):
        res(p + ".block_1", c, c)
        attn(p + ".attn_1", c)
        res(p + ".block_2", c, c)

    conv("encoder.conv_in", ch, in_ch, 3)
    in_mult = (1,) + tuple(ch_mult)
    for i in range(len(ch_mult)):
        block_in, block_out = ch * in_mult[i], ch * ch_mult[i]
        for j in range(nrb):
            res(f"encoder.down.{i}.block.{j}", block_in, block_out)
            block_in = block_out
        if i != len(ch_mult) - 1:
            conv(f"encoder.down.{i}.downsample.conv", block_in, block_in, 3)
    mid("encoder.mid", block_in)
    norm("encoder.norm_out", block_in)
    conv("encoder.conv_out", 2 * z, block_in, 3)
    block_in = ch * ch_mult[-1]
    conv("decoder.conv_in", block_in, z, 3)
    mid("decoder.mid", block_in)
    for i in reversed(range(len(ch_mult))):
        block_out = ch * ch_mult[i]
        for j in range(nrb + 1):
            res(f"decoder.up.{i}.block.{j}", block_in, block_out)
            block_in = block_out
        if i != 0:
            conv(f"decoder.up.{i}.upsample.conv", block_in, block_in, 3)
    norm("decoder.norm_out", block_in)
    conv("decoder.conv_out", out_ch, block_in, 3)
    conv("quant_conv", 2 * z, 2 * z, 1)
    conv("post_quant_conv", z, z, 1)
    return s


def ldm_clip(hidden, layers, inter, positions, vocab):
    """transformers' CLIPTextModel names as SD 1.x checkpoints hold them (text_model.*, with position_ids)."""
    s = OrderedDict()
    p = "text_model."
    s[p + "embeddings.token_embedding.weight"] = [vocab, hidden]
    s[p + "embeddings.position_embedding.weight"] = [positions, hidden]
    s[p + "embeddings.position_ids"] = [1, positions]
    for l in range(layers):
        b = f"{p}encoder.layers.{l}."
        for n in ("k_proj", "v_proj", "q_proj", "out_proj"):
            s[b + f"self_attn.{n}.weight"] = [hidden, hidden]
            s[b + f"self_attn.{n}.bias"] = [hidden]
        s[b + "layer_norm1.weight"] = [hidden]
        s[b + "layer_norm1.bias"] = [hidden]
        s[b + "mlp.fc1.weight"] = [inter, hidden]
        s[b + "mlp.fc1.bias"] = [inter]
        s[b + "mlp.fc2.weight"] = [hidden, inter]
        s[b + "mlp.fc2.bias"] = [hidden]
        s[b + "layer_norm2.weight"] = [hidden]
        s[b + "layer_norm2.bias"] = [hidden]
    s[p + "final_layer_norm.weight"] = [hidden]
    s[p + "final_layer_norm.bias"] = [hidden]
    return s


# LatentDiffusion's registered buffers that sit beside the weights in SD 1.x checkpoints.
DDPM_BUFFERS = [
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
]


def ldm_original_config(unet_params, vae_params):
    return {"model": {"params": {
        "scale_factor": 0.18215,
        "unet_config": {"params": unet_params},
        "first_stage_config": {"params": {"ddconfig": vae_params}},
    }}}


SD15_UNET = dict(image_size=32, in_channels=4, out_channels=4, model_channels=320, attention_resolutions=[4, 2, 1],
                 num_res_blocks=2, channel_mult=[1, 2, 4, 4], num_heads=8, use_spatial_transformer=True,
                 transformer_depth=1, context_dim=768, use_checkpoint=True, legacy=False)
SD15_VAE = dict(double_z=True, z_channels=4, resolution=256, in_channels=3, out_ch=3, ch=128, ch_mult=[1, 2, 4, 4],
                num_res_blocks=2, attn_resolutions=[], dropout=0.0)
TINY_UNET = dict(image_size=8, in_channels=4, out_channels=4, model_channels=8, attention_resolutions=[1],
                 num_res_blocks=1, channel_mult=[1, 2], num_heads=2, use_spatial_transformer=True,
                 transformer_depth=1, context_dim=16, legacy=False)
TINY_VAE = dict(double_z=True, z_channels=4, resolution=16, in_channels=3, out_ch=3, ch=8, ch_mult=[1, 2],
                num_res_blocks=1, attn_resolutions=[], dropout=0.0)
TINY_CLIP = dict(hidden=16, layers=2, inter=32, positions=8, vocab=32)


def attention_levels(unet_params):
    """LDM puts attention at level i when its downsampling factor 2**i is in attention_resolutions."""
    return {i for i in range(len(unet_params["channel_mult"])) if 2 ** i in unet_params["attention_resolutions"]}


def ldm_names(unet, vae, clip):
    names = OrderedDict()
    u = ldm_unet(unet["model_channels"], unet["channel_mult"], unet["num_res_blocks"], attention_levels(unet),
                 unet["context_dim"], unet["in_channels"], unet["out_channels"], unet["transformer_depth"])
    for k, v in u.items():
        names["model.diffusion_model." + k] = v
    for k, v in ldm_vae(vae["ch"], vae["ch_mult"], vae["num_res_blocks"], vae["z_channels"]).items():
        names["first_stage_model." + k] = v
    for k, v in ldm_clip(**clip).items():
        names["cond_stage_model.transformer." + k] = v
    return names, list(u.keys())


def ema_name(unet_key):
    # LDM's LitEma drops the dots: model.diffusion_model.a.0.b -> model_ema.diffusion_modela0b
    return "model_ema." + "".join(("model.diffusion_model." + unet_key).split(".")[1:])


def convert(ckpt, unet_params, vae_params, extract_ema=False):
    original = ldm_original_config(unet_params, vae_params)
    unet_config = sfu.create_unet_diffusers_config_from_ldm(original, ckpt)
    vae_config = sfu.create_vae_diffusers_config_from_ldm(original, ckpt)
    unet = sfu.convert_ldm_unet_checkpoint(ckpt, unet_config)
    unet_ema = sfu.convert_ldm_unet_checkpoint(ckpt, unet_config, extract_ema=True) if extract_ema else None
    vae = sfu.convert_ldm_vae_checkpoint(ckpt, vae_config)
    clip = sfu.convert_ldm_clip_checkpoint(ckpt)
    # transformers' CLIPTextEmbeddings.position_ids is a non-persistent buffer: loading drops it.
    clip = {k: v for k, v in clip.items() if not k.endswith("position_ids")}
    return unet_config, vae_config, unet, unet_ema, vae, clip


def diffusers_models(unet_config, vae_config, clip, norm_groups=None, device=None):
    """Models built from the converted configs, to check the converted key sets load strictly."""
    kw = {} if norm_groups is None else {"norm_num_groups": norm_groups}
    ucfg = {k: v for k, v in unet_config.items() if v is not None or k in ("cross_attention_dim",)}
    ctx = torch.device(device) if device else torch.device("cpu")
    with ctx:
        unet = UNet2DConditionModel(**ucfg, **kw)
        vae = AutoencoderKL(**{k: v for k, v in vae_config.items()}, **kw)
        text = CLIPTextModel(CLIPTextConfig(hidden_size=clip["hidden"], num_hidden_layers=clip["layers"],
                                            intermediate_size=clip["inter"], max_position_embeddings=clip["positions"],
                                            vocab_size=clip["vocab"], num_attention_heads=2 if clip["hidden"] < 64 else 12,
                                            hidden_act="quick_gelu", bos_token_id=min(49406, clip["vocab"] - 2),
                                            eos_token_id=min(49407, clip["vocab"] - 1)))
    return unet, vae, text


def clip_keys(text_model):
    """transformers 5.24's CLIPTextModel is flattened; SD 1.5 folders (and diffusers' conversion) use text_model.*."""
    return {"text_model." + k for k in text_model.state_dict().keys() if not k.endswith("position_ids")}


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(0)

    # ---------------------------------------------------------------- tiny LDM checkpoint and its conversion
    names, unet_keys = ldm_names(TINY_UNET, TINY_VAE, TINY_CLIP)
    ckpt = OrderedDict()
    for name, shape in names.items():
        if name.endswith("position_ids"):
            ckpt[name] = torch.arange(shape[1], dtype=torch.int64).unsqueeze(0)
        else:
            ckpt[name] = (torch.randn(shape) * 0.1).half()
    for key in unet_keys:
        ckpt[ema_name(key)] = (torch.randn(names["model.diffusion_model." + key]) * 0.1).half()
    for name in DDPM_BUFFERS:
        ckpt[name] = torch.linspace(0.001, 0.999, 10, dtype=torch.float32)
    ckpt["model_ema.decay"] = torch.tensor(0.9999, dtype=torch.float32)
    ckpt["model_ema.num_updates"] = torch.tensor(1234, dtype=torch.int32)
    assert sum(k.startswith("model_ema") for k in ckpt) > 100, "diffusers extracts EMA only past 100 model_ema keys"

    unet_config, vae_config, unet, unet_ema, vae, clip = convert(dict(ckpt), TINY_UNET, TINY_VAE, extract_ema=True)
    # diffusers' conversion must cover exactly the models' parameters.
    m_unet, m_vae, m_text = diffusers_models(unet_config, vae_config, TINY_CLIP, norm_groups=4)
    m_unet.load_state_dict(unet, strict=True)
    m_unet.load_state_dict(unet_ema, strict=True)
    m_vae.load_state_dict(vae, strict=True)
    assert set(clip) == clip_keys(m_text), sorted(set(clip) ^ clip_keys(m_text))
    m_text.load_state_dict({k.removeprefix("text_model."): v for k, v in clip.items()}, strict=True)

    save_file({k: v.contiguous() for k, v in ckpt.items()}, f"{OUT}/ckpt_ldm_tiny.safetensors",
              metadata={"format": "pt"})
    expected = {}
    for prefix, d in (("unet.", unet), ("unet_ema.", unet_ema), ("vae.", vae), ("text_encoder.", clip)):
        for k, v in d.items():
            expected[prefix + k] = v.contiguous()
    save_file(expected, f"{OUT}/ckpt_diffusers_tiny.safetensors")

    # ---------------------------------------------------------------- SD 1.5 names, header only
    sd_clip = dict(hidden=768, layers=12, inter=3072, positions=77, vocab=49408)
    sd_names, _ = ldm_names(SD15_UNET, SD15_VAE, sd_clip)
    header = OrderedDict()
    for name, shape in sd_names.items():
        # One element per tensor, rank kept (the VAE attention reshape depends on it); conv_in keeps its 4 input
        # channels, which diffusers' model-type detection reads.
        small = [1] * len(shape)
        if name == "model.diffusion_model.input_blocks.0.0.weight":
            small[1] = shape[1]
        dtype = torch.int64 if name.endswith("position_ids") else torch.float16
        header[name] = torch.zeros(small, dtype=dtype)
    for name in DDPM_BUFFERS + ["model_ema.decay", "model_ema.num_updates"]:
        header[name] = torch.zeros(1, dtype=torch.float32)
    assert sfu.CHECKPOINT_KEY_NAMES["v1"] in header and sfu.infer_diffusers_model_type(header) == "v1"
    sd_unet_config, sd_vae_config, sd_unet, _, sd_vae, sd_text = convert(dict(header), SD15_UNET, SD15_VAE)
    r_unet, r_vae, r_text = diffusers_models(sd_unet_config, sd_vae_config, sd_clip, device="meta")
    assert set(sd_unet) == set(r_unet.state_dict()), sorted(set(sd_unet) ^ set(r_unet.state_dict()))
    assert set(sd_vae) == set(r_vae.state_dict()), sorted(set(sd_vae) ^ set(r_vae.state_dict()))
    assert set(sd_text) == clip_keys(r_text), sorted(set(sd_text) ^ clip_keys(r_text))
    save_file(header, f"{OUT}/ckpt_sd15_header.safetensors")
    # Real shapes of the converted tensors, from the SD 1.5-sized models on the meta device.
    shapes = {"unet": {k: list(v.shape) for k, v in r_unet.state_dict().items()},
              "vae": {k: list(v.shape) for k, v in r_vae.state_dict().items()},
              "text_encoder": {"text_model." + k: list(v.shape) for k, v in r_text.state_dict().items()
                               if not k.endswith("position_ids")}}
    with open(f"{OUT}/ckpt_sd15_diffusers_keys.json", "w") as f:
        json.dump({"unet": sorted(sd_unet), "vae": sorted(sd_vae), "text_encoder": sorted(sd_text)}, f, separators=(",", ":"))

    with open(f"{OUT}/ckpt_tiny_configs.json", "w") as f:
        json.dump({"tiny": {"ldm_unet": TINY_UNET, "ldm_vae": TINY_VAE, "clip": TINY_CLIP,
                            "unet_config": unet_config, "vae_config": vae_config},
                   "sd15": {"ldm_unet": SD15_UNET, "ldm_vae": SD15_VAE,
                            "unet_config": sd_unet_config, "vae_config": sd_vae_config,
                            "parameter_counts": {k: sum(int(torch.tensor(s).prod()) for s in d.values())
                                                 for k, d in shapes.items()}}},
                  f, indent=1, sort_keys=True)

    # ---------------------------------------------------------------- tiny diffusers folder
    folder = f"{OUT}/ckpt_folder"
    shutil.rmtree(folder, ignore_errors=True)
    m_unet.load_state_dict({k: v.float() for k, v in unet.items()}, strict=True)
    m_unet.save_pretrained(f"{folder}/unet")
    m_unet.half().save_pretrained(f"{folder}/unet", variant="fp16")
    m_vae.load_state_dict({k: v.float() for k, v in vae.items()}, strict=True)
    m_vae.half().save_pretrained(f"{folder}/vae", max_shard_size="60KB")
    assert sorted(os.listdir(f"{folder}/vae")) == [
        "config.json", "diffusion_pytorch_model-00001-of-00002.safetensors",
        "diffusion_pytorch_model-00002-of-00002.safetensors", "diffusion_pytorch_model.safetensors.index.json"], \
        os.listdir(f"{folder}/vae")
    os.makedirs(f"{folder}/text_encoder")
    m_text.config.to_json_file(f"{folder}/text_encoder/config.json")
    save_file({k: v.half().contiguous() for k, v in clip.items()}, f"{folder}/text_encoder/model.fp16.safetensors",
              metadata={"format": "pt"})
    DDIMScheduler(beta_schedule="scaled_linear", beta_start=0.00085, beta_end=0.012).save_pretrained(f"{folder}/scheduler")
    os.makedirs(f"{folder}/tokenizer")
    with open(f"{folder}/tokenizer/vocab.json", "w") as f:
        json.dump({"a</w>": 0, "<|startoftext|>": 1, "<|endoftext|>": 2}, f)
    with open(f"{folder}/tokenizer/merges.txt", "w") as f:
        f.write("#version: 0.2\n")
    with open(f"{folder}/tokenizer/tokenizer_config.json", "w") as f:
        json.dump({"model_max_length": 16, "tokenizer_class": "CLIPTokenizer"}, f)
    with open(f"{folder}/model_index.json", "w") as f:
        json.dump({"_class_name": "StableDiffusionPipeline", "_diffusers_version": "0.42.1",
                   "feature_extractor": [None, None], "image_encoder": [None, None],
                   "requires_safety_checker": False, "safety_checker": [None, None],
                   "scheduler": ["diffusers", "DDIMScheduler"], "text_encoder": ["transformers", "CLIPTextModel"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "unet": ["diffusers", "UNet2DConditionModel"],
                   "vae": ["diffusers", "AutoencoderKL"]}, f, indent=2)
    # What the files hold must be the converted tensors (fp16 variants: their .half()).
    for k, v in load_file(f"{folder}/unet/diffusion_pytorch_model.fp16.safetensors").items():
        assert v.dtype == torch.float16 and torch.equal(v, unet[k].float().half()), k

    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files
                     if f.startswith("ckpt_") or "ckpt_folder" in root)
    print(f"unet {len(unet)} vae {len(vae)} text {len(clip)} keys; SD 1.5: unet {len(sd_unet)} vae {len(sd_vae)} "
          f"text {len(sd_text)}; fixtures {total / 1e6:.2f} MB")


if __name__ == "__main__":
    sys.exit(main())
