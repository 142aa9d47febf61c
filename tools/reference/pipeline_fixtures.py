"""Reference fixtures for the Swift text-to-image pipeline (Tests/StableDiffusionTests).

Run from the repository root with the reference environment:

    .venv-reference/bin/python tools/reference/pipeline_fixtures.py

Writes Tests/StableDiffusionTests/Fixtures/pipe_tiny/ — a complete diffusers folder saved by diffusers'
own save_pretrained (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/) of a tiny
SD 1.5-shaped pipeline with random weights and a byte-level tokenizer (256 byte tokens, their </w> forms,
no merges, so every character is one token) — and pipe_runs.safetensors with StableDiffusionPipeline
outputs (output_type="pt", images in [0, 1]) for:
    ddim.latents [1,4,8,8] given as latents=, ddim.image          DDIM, 5 steps, CFG 7.5, negative prompt
    seeded.image                                                   DDIM, 5 steps, generator seed 7 (batch 2)
    eulera.image                                                   Euler ancestral, latents given, seed 11
    noguide.image                                                  DDIM, guidance 1.0 (no CFG), latents given
"""
import json
import pathlib
import shutil
import sys
import tempfile

sys.modules["torchvision"] = None  # its wheel does not import with torch 2.13; nothing here needs it

import torch
from diffusers import (AutoencoderKL, DDIMScheduler, EulerAncestralDiscreteScheduler, StableDiffusionPipeline,
                       UNet2DConditionModel)
from safetensors.torch import save_file
from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

OUT = pathlib.Path("Tests/StableDiffusionTests/Fixtures")
FOLDER = OUT / "pipe_tiny"
PROMPT = "a woman, in a brown jacket, blonde hair"
NEGATIVE = "blurry"


def byte_level_tokenizer(directory):
    # GPT-2's bytes_to_unicode, as CLIP uses.
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    chars = [chr(c) for c in cs]
    vocab = {}
    for c in chars:
        vocab[c] = len(vocab)
    for c in chars:
        vocab[c + "</w>"] = len(vocab)
    vocab["<|startoftext|>"] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    (directory / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False))
    (directory / "merges.txt").write_text("#version: 0.2\n")
    return CLIPTokenizer(str(directory / "vocab.json"), str(directory / "merges.txt"), pad_token="<|endoftext|>",
                         model_max_length=77)


def main():
    torch.manual_seed(0)
    vocab_dir = pathlib.Path(tempfile.mkdtemp())
    tokenizer = byte_level_tokenizer(vocab_dir)
    text_config = CLIPTextConfig(vocab_size=600, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                 num_attention_heads=4, max_position_embeddings=77, hidden_act="quick_gelu",
                                 projection_dim=32, bos_token_id=tokenizer.bos_token_id,
                                 eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    text_encoder = CLIPTextModel(text_config).eval()
    unet = UNet2DConditionModel(sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
                                block_out_channels=(16, 32), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
                                up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=32,
                                attention_head_dim=2, norm_num_groups=8).eval()
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 2,
                        up_block_types=("UpDecoderBlock2D",) * 2, block_out_channels=(8, 16), layers_per_block=1,
                        latent_channels=4, norm_num_groups=8, sample_size=16).eval()
    # The tiny VAE has two levels, so one latent cell is 2x2 pixels: 8x8 latents are 16x16 images.
    scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                              set_alpha_to_one=False, steps_offset=1)
    pipe = StableDiffusionPipeline(vae=vae, text_encoder=text_encoder, tokenizer=tokenizer, unet=unet,
                                   scheduler=scheduler, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    if FOLDER.exists():
        shutil.rmtree(FOLDER)
    pipe.save_pretrained(FOLDER, safe_serialization=True)
    # transformers 5 saves only tokenizer.json; real SD 1.5 folders also carry vocab.json + merges.txt.
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(vocab_dir / name, FOLDER / "tokenizer" / name)
    shutil.rmtree(vocab_dir)
    # Run what was saved, exactly as the Swift side loads it: an in-memory scheduler remembers which of its
    # settings were defaults (`_use_default_values`), and from_config then gives a different Euler a.
    pipe = StableDiffusionPipeline.from_pretrained(FOLDER, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)

    runs = {}
    g = torch.Generator().manual_seed(123)
    latents = torch.randn(1, 4, 8, 8, generator=g)
    runs["ddim.latents"] = latents
    with torch.no_grad():
        runs["ddim.image"] = pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=5, guidance_scale=7.5,
                                  height=16, width=16, latents=latents.clone(), output_type="pt").images
        runs["seeded.image"] = pipe(PROMPT, num_inference_steps=5, guidance_scale=7.5, height=16, width=16,
                                    num_images_per_prompt=2, generator=torch.Generator().manual_seed(7),
                                    output_type="pt").images
        runs["noguide.image"] = pipe(PROMPT, num_inference_steps=5, guidance_scale=1.0, height=16, width=16,
                                     latents=latents.clone(), output_type="pt").images
        pipe.scheduler = EulerAncestralDiscreteScheduler.from_config(pipe.scheduler.config)
        runs["eulera.image"] = pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=5, guidance_scale=7.5,
                                    height=16, width=16, latents=latents.clone(),
                                    generator=torch.Generator().manual_seed(11), output_type="pt").images
    save_file({k: v.contiguous() for k, v in runs.items()}, OUT / "pipe_runs.safetensors")
    size = sum(p.stat().st_size for p in FOLDER.rglob("*") if p.is_file()) + (OUT / "pipe_runs.safetensors").stat().st_size
    print(f"wrote {FOLDER} and pipe_runs.safetensors ({size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
