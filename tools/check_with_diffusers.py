"""Checks what spf writes against diffusers: a model folder (`spf train`'s RUN_DIR/model, `spf convert`'s
output) and optionally a LoRA file. Generates with diffusers' StableDiffusionPipeline (and load_lora_weights)
and compares the image with a PNG from `spf generate [--lora]` (batch 1).

    .venv-reference/bin/python tools/check_with_diffusers.py --model DIR [--lora FILE] --png OUT/SEED-0.png

The prompt, negative prompt, seed, steps, guidance, scheduler, clip skip and lora scale are read from the PNG's
text chunks (spf writes them) unless given as options; the size is the PNG's. Prints the largest difference in
8-bit levels and exits 1 when it exceeds --tolerance (default 1 level: the two sides round the same floats, so
only a last-bit difference of the float pipeline can move a pixel by one level).

transformers 5.24 refuses every PEFT release on PyPI for text-encoder adapters, so text-encoder adapters are
loaded through the PEFT calls transformers would make (tools/reference/lora_fixtures.py,
peft_text_encoder_loading); everything else is diffusers' own loading.
"""
import argparse
import pathlib
import sys

sys.modules["torchvision"] = None  # its wheel does not import with torch 2.13; nothing here needs it
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent / "reference"))

import diffusers
import numpy
import torch
from PIL import Image

from lora_fixtures import peft_text_encoder_loading

SCHEDULERS = {
    "ddim": ("DDIMScheduler", {}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_a": ("EulerAncestralDiscreteScheduler", {}),
    "dpmpp_2m": ("DPMSolverMultistepScheduler", {}),
    "dpmpp_2m_karras": ("DPMSolverMultistepScheduler", {"use_karras_sigmas": True}),
    "ddpm": ("DDPMScheduler", {}),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="diffusers folder spf generated with")
    parser.add_argument("--lora", help="a LoRA file (kohya or diffusers format), if the image was made with one")
    parser.add_argument("--png", required=True, help="spf generate's image")
    parser.add_argument("--prompt")
    parser.add_argument("--negative-prompt")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--steps", type=int)
    parser.add_argument("--guidance", type=float)
    parser.add_argument("--lora-scale", type=float)
    parser.add_argument("--scheduler")
    parser.add_argument("--tolerance", type=int, default=1, help="largest allowed difference in 8-bit levels")
    args = parser.parse_args()

    png = Image.open(args.png)
    text = dict(png.text)
    ours = numpy.asarray(png.convert("RGB")).astype(numpy.int16)

    def setting(value, key, kind=str):
        if value is not None:
            return value
        if text.get(key, "") == "":
            sys.exit(f"{args.png} has no '{key}' text chunk; pass it as an option")
        return kind(text[key])

    prompt = setting(args.prompt, "prompt")
    negative = args.negative_prompt if args.negative_prompt is not None else text.get("negative_prompt", "")
    seed = setting(args.seed, "seed", int)
    steps = setting(args.steps, "steps", int)
    guidance = setting(args.guidance, "guidance_scale", float)
    scale = args.lora_scale if args.lora_scale is not None else float(text.get("lora_scale") or 1)
    scheduler = args.scheduler or text.get("scheduler", "")
    clip_skip = int(text["clip_skip"]) if text.get("clip_skip") else None
    if text.get("lora") and not args.lora:
        sys.exit(f"{args.png} was made with LoRA {text['lora']}: pass it with --lora")
    if text.get("lora") and pathlib.Path(text["lora"]).name != pathlib.Path(args.lora).name:
        print(f"warning: the PNG was made with LoRA {text['lora']}, checking {args.lora}")

    pipe = diffusers.StableDiffusionPipeline.from_pretrained(args.model, safety_checker=None,
                                                             requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    peft_text_encoder_loading(pipe.text_encoder)
    class_name, options = SCHEDULERS.get(scheduler, (scheduler, {}))
    if class_name and class_name != type(pipe.scheduler).__name__:
        pipe.scheduler = getattr(diffusers, class_name).from_config(pipe.scheduler.config, **options)
    if args.lora:
        lora = pathlib.Path(args.lora)
        pipe.load_lora_weights(str(lora.parent), weight_name=lora.name)

    with torch.no_grad():
        image = pipe(prompt, negative_prompt=negative or None, num_inference_steps=steps, guidance_scale=guidance,
                     height=ours.shape[0], width=ours.shape[1], generator=torch.Generator().manual_seed(seed),
                     cross_attention_kwargs={"scale": scale} if args.lora else None, clip_skip=clip_skip, output_type="np").images[0]
    theirs = (image * 255).round().astype(numpy.int16)  # diffusers' numpy_to_pil
    difference = numpy.abs(theirs - ours)
    worst = int(difference.max())
    print(f"{args.model} {f'+ {args.lora} at scale {scale}' if args.lora else ''}: {type(pipe.scheduler).__name__}, {steps} steps, seed {seed}, "
          f"{ours.shape[1]}x{ours.shape[0]}: max |diffusers - spf| = {worst} of 255 "
          f"({int((difference > 0).sum())} of {difference.size} channel values differ)")
    sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
