"""Reference fixture for diffusers' `guidance_rescale` (Tests/StableDiffusionTests/PipelineParityTests.swift).

Run from the repository root with the reference environment, after pipeline_fixtures.py (it reuses its tiny
pipeline folder and latents):

    .venv-reference/bin/python tools/reference/pipeline_rescale_fixtures.py

Writes Tests/StableDiffusionTests/Fixtures/pipe_rescale.safetensors:
    rescale.image          StableDiffusionPipeline on pipe_tiny, DDIM, 5 steps, CFG 7.5, guidance_rescale 0.7,
                           negative prompt, the latents ddim.latents of pipe_runs.safetensors (output_type="pt")
    direct.guided, direct.text, direct.out
                           rescale_noise_cfg(guided, text, 0.7) on random [2, 4, 8, 8] tensors (seed 5)
"""
import pathlib

import torch
from diffusers import StableDiffusionPipeline
from diffusers.pipelines.stable_diffusion.pipeline_stable_diffusion import rescale_noise_cfg
from safetensors.torch import load_file, save_file

OUT = pathlib.Path("Tests/StableDiffusionTests/Fixtures")
PROMPT = "a woman, in a brown jacket, blonde hair"
NEGATIVE = "blurry"


def main():
    torch.manual_seed(0)
    pipe = StableDiffusionPipeline.from_pretrained(OUT / "pipe_tiny", safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    latents = load_file(OUT / "pipe_runs.safetensors")["ddim.latents"]
    runs = {}
    with torch.no_grad():
        runs["rescale.image"] = pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=5, guidance_scale=7.5,
                                     guidance_rescale=0.7, height=16, width=16, latents=latents.clone(),
                                     output_type="pt").images
    g = torch.Generator().manual_seed(5)
    guided = torch.randn(2, 4, 8, 8, generator=g) * 3
    text = torch.randn(2, 4, 8, 8, generator=g)
    runs["direct.guided"], runs["direct.text"] = guided, text
    runs["direct.out"] = rescale_noise_cfg(guided, text, guidance_rescale=0.7)
    save_file({k: v.contiguous() for k, v in runs.items()}, OUT / "pipe_rescale.safetensors")
    print("wrote pipe_rescale.safetensors")


if __name__ == "__main__":
    main()
