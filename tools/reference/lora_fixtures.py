"""Reference fixtures for LoRA files (Tests/StableDiffusionTests).

Run from the repository root with the reference environment:

    .venv-reference/bin/python tools/reference/lora_fixtures.py

make_fixtures.sh runs the scripts in name order, this one before pipeline_fixtures.py, so it first rebuilds
Fixtures/pipe_tiny itself with pipeline_fixtures.main() (deterministic: the same files again), which keeps these
fixtures in step with the pipeline they were made on.

On the tiny pipeline Fixtures/pipe_tiny, makes one random LoRA with PEFT (seeded; B nonzero so that it changes
the images):
    UNet          rank 4, alpha 8 on to_q, to_k, to_v, to_out.0 and proj_in (a 1x1 convolution)
    text encoder  rank 2, alpha 1 on q_proj, k_proj, v_proj, out_proj
and writes it twice:
    lora_diffusers.safetensors  diffusers' own StableDiffusionPipeline.save_lora_weights, with the PEFT configs as
                                unet_/text_encoder_lora_adapter_metadata (so alpha travels in the
                                `lora_adapter_metadata` JSON)
    lora_kohya.safetensors      the same tensors under kohya-ss sd-scripts' names (lora_unet_<module with '.' ->
                                '_'>.lora_down.weight / .lora_up.weight / .alpha, lora_te_text_model_...) with the
                                ss_* metadata sd-scripts writes
Each file is then loaded into a fresh pipeline with diffusers' load_lora_weights, and lora_runs.safetensors records
(output_type="pt", images in [0, 1]; DDIM, 5 steps, CFG 7.5, negative prompt, 16x16, given latents):
    latents                [1,4,8,8] given as latents=
    base.image             no LoRA
    diffusers.image        diffusers file, lora scale 0.7 (cross_attention_kwargs={"scale": 0.7})
    diffusers.scale1.image diffusers file, lora scale 1 (the default)
    kohya.image            kohya file, lora scale 0.7
"""
import pathlib
import sys

sys.modules["torchvision"] = None  # its wheel does not import with torch 2.13; nothing here needs it

import torch
from diffusers import StableDiffusionPipeline
from peft import LoraConfig, inject_adapter_in_model
from peft.utils import get_peft_model_state_dict, set_peft_model_state_dict
from safetensors.torch import save_file

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import pipeline_fixtures  # noqa: E402

OUT = pathlib.Path("Tests/StableDiffusionTests/Fixtures")
FOLDER = OUT / "pipe_tiny"
PROMPT = "a woman, in a brown jacket, blonde hair"
NEGATIVE = "blurry"
UNET_RANK, UNET_ALPHA = 4, 8
TEXT_RANK, TEXT_ALPHA = 2, 1


def load_pipeline():
    pipe = StableDiffusionPipeline.from_pretrained(FOLDER, safety_checker=None, requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    peft_text_encoder_loading(pipe.text_encoder)
    return pipe


def peft_text_encoder_loading(text_encoder):
    """transformers 5.24's PEFT integration (`load_adapter`, `add_adapter`) refuses every PEFT release on PyPI
    (it asks for >= 0.22.0; the newest is 0.21.2), so diffusers' load_lora_weights cannot load text-encoder
    adapters in this environment. Stand in for `text_encoder.load_adapter` with the two PEFT calls it makes
    (inject the LoraConfig diffusers built, load the state dict diffusers converted); everything else, including
    the kohya key conversion, the alphas, and the lora scale applied in encode_prompt, stays diffusers' own."""
    def load_adapter(adapter_name=None, adapter_state_dict=None, peft_config=None, **kwargs):
        inject_adapter_in_model(peft_config, text_encoder, adapter_name=adapter_name)
        result = set_peft_model_state_dict(text_encoder, adapter_state_dict, adapter_name=adapter_name)
        missing = [k for k in result.missing_keys if "lora_" in k]
        assert not missing and not result.unexpected_keys, (missing, result.unexpected_keys)
    text_encoder.load_adapter = load_adapter


def config_dict(config):
    """A LoraConfig as the JSON-able dict diffusers' training scripts pass as *_lora_adapter_metadata."""
    d = config.to_dict()
    return {k: (sorted(v) if isinstance(v, set) else v) for k, v in d.items()}


def kohya_tensors(unet_sd, text_sd):
    """sd-scripts' names: lora_<prefix>_<module with '.' -> '_'>, A = lora_down, B = lora_up, alpha a 0-dim float."""
    out = {}
    for prefix, sd, alpha, module_prefix in (("lora_unet", unet_sd, UNET_ALPHA, ""),
                                             ("lora_te", text_sd, TEXT_ALPHA, "text_model.")):
        for key, value in sd.items():
            module, kind = key.rsplit(".lora_", 1)
            if not module.startswith(module_prefix):
                module = module_prefix + module  # transformers 5 names the text encoder without text_model.
            name = prefix + "_" + module.replace(".", "_")
            out[name + (".lora_down.weight" if kind == "A.weight" else ".lora_up.weight")] = value
            out[name + ".alpha"] = torch.tensor(float(alpha))
    return out


def main():
    pipeline_fixtures.main()
    torch.manual_seed(0)
    pipe = load_pipeline()
    unet_config = LoraConfig(r=UNET_RANK, lora_alpha=UNET_ALPHA, init_lora_weights=True,
                             target_modules=["to_q", "to_k", "to_v", "to_out.0", "proj_in"])
    text_config = LoraConfig(r=TEXT_RANK, lora_alpha=TEXT_ALPHA, init_lora_weights=True,
                             target_modules=["q_proj", "k_proj", "v_proj", "out_proj"])
    pipe.unet.add_adapter(unet_config)
    inject_adapter_in_model(text_config, pipe.text_encoder)  # add_adapter, without transformers' version gate
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for model in (pipe.unet, pipe.text_encoder):
            for name, p in model.named_parameters():
                if "lora_B" in name:
                    p.copy_(torch.randn(p.shape, generator=g) * 0.2)
    unet_sd = get_peft_model_state_dict(pipe.unet)
    text_sd = get_peft_model_state_dict(pipe.text_encoder)
    unet_sd = {k: v.detach().contiguous() for k, v in unet_sd.items()}
    text_sd = {k: v.detach().contiguous() for k, v in text_sd.items()}

    StableDiffusionPipeline.save_lora_weights(
        OUT, unet_lora_layers=unet_sd, text_encoder_lora_layers=text_sd, weight_name="lora_diffusers.safetensors",
        unet_lora_adapter_metadata=config_dict(unet_config), text_encoder_lora_adapter_metadata=config_dict(text_config))
    save_file(kohya_tensors(unet_sd, text_sd), OUT / "lora_kohya.safetensors", metadata={
        "ss_network_module": "networks.lora",
        "ss_network_dim": str(UNET_RANK),
        "ss_network_alpha": str(float(UNET_ALPHA)),
        "ss_base_model_version": "sd_v1",
        "ss_v2": "False",
        "ss_output_name": "lora_kohya",
        "ss_training_comment": "random LoRA for the Swift tests",
        "ss_sd_model_name": "pipe_tiny",
    })

    runs = {}
    latents = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(123))
    runs["latents"] = latents

    def run(pipe, scale):
        kwargs = {} if scale is None else {"cross_attention_kwargs": {"scale": scale}}
        with torch.no_grad():
            return pipe(PROMPT, negative_prompt=NEGATIVE, num_inference_steps=5, guidance_scale=7.5, height=16,
                        width=16, latents=latents.clone(), output_type="pt", **kwargs).images

    runs["base.image"] = run(load_pipeline(), None)
    pipe = load_pipeline()
    pipe.load_lora_weights(OUT, weight_name="lora_diffusers.safetensors")
    runs["diffusers.image"] = run(pipe, 0.7)
    runs["diffusers.scale1.image"] = run(pipe, None)
    pipe = load_pipeline()
    pipe.load_lora_weights(OUT, weight_name="lora_kohya.safetensors")
    runs["kohya.image"] = run(pipe, 0.7)
    for key in ("diffusers.image", "kohya.image"):
        change = (runs[key] - runs["base.image"]).abs().max().item()
        assert change > 0.01, f"{key}: the LoRA hardly changes the image ({change})"
    assert torch.equal(runs["diffusers.image"], runs["kohya.image"]), "the two formats give different images"
    save_file({k: v.contiguous() for k, v in runs.items()}, OUT / "lora_runs.safetensors")
    size = sum((OUT / n).stat().st_size for n in ("lora_diffusers.safetensors", "lora_kohya.safetensors",
                                                  "lora_runs.safetensors"))
    print(f"wrote lora_diffusers.safetensors, lora_kohya.safetensors, lora_runs.safetensors ({size / 1024:.0f} KB); "
          f"LoRA moves the image by up to {(runs['diffusers.image'] - runs['base.image']).abs().max().item():.3f}")


if __name__ == "__main__":
    main()
