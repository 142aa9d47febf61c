"""The diffusers side of `spf bench unet`: the same SD 1.5 UNet, inputs and timing rule, printing the same JSON."""
import argparse
import json
import resource
import sys

sys.modules["torchvision"] = None  # not needed; its wheel may not import with this torch
import torch
from diffusers import DDIMScheduler, DDPMScheduler, UNet2DConditionModel
from ops_torch import median_seconds


def sd15_unet():
    return UNet2DConditionModel(sample_size=64, cross_attention_dim=768, attention_head_dim=8,
                                block_out_channels=(320, 640, 1280, 1280), layers_per_block=2)


def training_step(args, unet, context, g):
    """One optimizer step as diffusers' train_text_to_image(_lora).py takes it (batch 1): MSE to the noise,
    backward, clip_grad_norm_(1.0), AdamW, zero_grad(set_to_none=True); cross-attention weights or rank-4
    LoRA adapters added with PEFT as train_text_to_image_lora.py does."""
    import torch.nn.functional as F
    size = args.latent_size or 64
    unet.requires_grad_(False)
    if args.task == "train_lora":
        from peft import LoraConfig
        unet.add_adapter(LoraConfig(r=4, lora_alpha=4, init_lora_weights="gaussian",
                                    target_modules=["to_k", "to_q", "to_v", "to_out.0"]))
        params = [p for p in unet.parameters() if p.requires_grad]
    else:
        params = [p for n, p in unet.named_parameters() if ".attn2." in n]
        for p in params:
            p.requires_grad_(True)
    scheduler = DDPMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear")
    latents = torch.randn(1, 4, size, size, generator=g)
    noise = torch.randn(1, 4, size, size, generator=g)
    timesteps = torch.tensor([500])
    noisy = scheduler.add_noise(latents, noise, timesteps)
    optimizer = torch.optim.AdamW(params, lr=1e-4)

    def step():
        pred = unet(noisy, timesteps, encoder_hidden_states=context).sample
        F.mse_loss(pred.float(), noise.float(), reduction="mean").backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    return median_seconds(args.iterations, step, warm_up=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--task", default="train")
    parser.add_argument("--latent-size", type=int)
    parser.add_argument("--iterations", type=int, default=2)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    unet = sd15_unet()
    context = torch.randn(1, 77, 768, generator=g)
    if args.task in ("train_cross_attention", "train_lora"):
        seconds = training_step(args, unet, context, g)
    elif args.task == "train":
        size = args.latent_size or 64
        sample = torch.randn(1, 4, size, size, generator=g)
        timestep = torch.tensor([500])

        def step():
            unet.zero_grad(set_to_none=True)
            unet(sample, timestep, encoder_hidden_states=context).sample.square().mean().backward()

        seconds = median_seconds(args.iterations, step, warm_up=1)
    else:
        size = args.latent_size or 32
        scheduler = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                  clip_sample=False, set_alpha_to_one=False, steps_offset=1)
        embeds = torch.cat([torch.zeros(1, 77, 768), context])

        @torch.no_grad()
        def loop():
            scheduler.set_timesteps(args.steps)
            latents = torch.randn(1, 4, size, size, generator=torch.Generator().manual_seed(1))
            for t in scheduler.timesteps:
                noise = unet(torch.cat([latents, latents]), t, encoder_hidden_states=embeds).sample.chunk(2)
                guided = noise[0] + (noise[1] - noise[0]) * 7.5
                latents = scheduler.step(guided, t, latents).prev_sample

        seconds = median_seconds(1, loop, warm_up=0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(json.dumps({"op": f"unet_{args.task}", "median_ms": seconds * 1000, "peak_rss_mb": peak}))


if __name__ == "__main__":
    main()
