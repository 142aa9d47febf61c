import ArgumentParser
import Diffusion
import Foundation
import NN
import Schedulers
import StableDiffusion
import Torch
import Training

/// `spf bench unet`: the SD 1.5 UNet at full size, for bench/unet.sh to set beside diffusers.
struct UNetBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unet",
        abstract: "Time the SD 1.5 UNet: forward+backward (batch 1, 64x64 latents) and a 20-step DDIM sampling loop with CFG at a small size."
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "train (forward+backward), train_cross_attention / train_lora (a whole optimizer step of spf train: loss, backward, clipping, AdamW on that set), or sample (denoising loop).")
    var task = "train"

    @Option(help: "Latent size (64 = 512 px for train; sample defaults to 32).")
    var latentSize: Int?

    @Option(help: "Timed iterations (train) after one warm-up.")
    var iterations = 2

    @Option(help: "Sampling steps.")
    var steps = 20

    func run() throws {
        try runtime.apply()
        let generator = try Generator(seed: 0)
        let unet = try UNet2DConditionModel(.stableDiffusion15, factory: ParameterFactory(generator: generator))
        let context = try Tensor.randn([1, 77, 768], generator: generator)
        var seconds: Double
        switch task {
        case "train":
            let size = latentSize ?? 64
            try unet.setRequiresGrad(true)
            let sample = try Tensor.randn([1, 4, size, size], generator: generator)
            let timestep = try Tensor([Int64(500)])
            let step = {
                for p in unet.parameters { try p.zeroGrad() }
                let out = try unet(sample: sample, timestep: timestep, encoderHiddenStates: context).sample
                try out.square().mean().backward()
            }
            seconds = try OpsBenchmark.median(iterations: iterations, warmUp: 1, step)
        case "train_cross_attention", "train_lora":
            seconds = try trainingStep(unet: unet, context: context, generator: generator)
        case "sample":
            let size = latentSize ?? 32
            let sampler = DenoisingLoop(unet: unet, scheduler: try makeScheduler(name: "ddim"), guidanceScale: 7.5)
            let unconditional = try Tensor.zeros([1, 77, 768])
            let loop = {
                _ = try sampler(conditioning: context, unconditional: unconditional, latentShape: [1, 4, size, size],
                                generator: Generator(seed: 1), steps: steps)
            }
            seconds = try OpsBenchmark.median(iterations: 1, warmUp: 0, loop)
        default:
            throw ValidationError("--task must be train, train_cross_attention, train_lora or sample")
        }
        print("{\"op\": \"unet_\(task)\", \"median_ms\": \(seconds * 1000), \"peak_rss_mb\": \(peakResidentMegabytes())}")
    }
}

extension UNetBenchCommand {
    /// One optimizer step as `spf train` takes it (batch 1): the denoising loss on fixed noise and timestep,
    /// backward, clipping to norm 1, AdamW, gradients set to none - on the cross-attention weights or on rank-4
    /// LoRA adapters (diffusers' train_text_to_image(_lora) defaults).
    func trainingStep(unet: UNet2DConditionModel, context: Tensor, generator: Generator) throws -> Double {
        let size = latentSize ?? 64
        let parameters: [Tensor]
        if task == "train_lora" {
            try unet.injectLoRA(LoRAConfiguration(rank: 4, alpha: 4, targets: ["to_q", "to_k", "to_v", "to_out.0"]),
                                factory: ParameterFactory(generator: generator))
            parameters = unet.namedParameters().filter { $0.name.contains(".lora.") }.map(\.tensor)
        } else {
            parameters = unet.parameters(in: .crossAttention)
        }
        for p in parameters { try p.setRequiresGrad(true) }
        let objective = DiffusionObjective(schedule: try DDPMSchedule(), scalingFactor: 0.18215)
        let latents = try Tensor.randn([1, 4, size, size], generator: generator)
        let noise = try Tensor.randn([1, 4, size, size], generator: generator)
        let timesteps = try Tensor([Int64(500)])
        let draw = try objective.draw(latents: latents, noise: noise, timesteps: timesteps)
        let optimizer = try AdamW(parameters, lr: 1e-4)
        let step: () throws -> Void = {
            let prediction = try unet(sample: draw.noisyLatents, timestep: timesteps, encoderHiddenStates: context).sample
            try objective.loss(prediction: prediction, draw: draw).backward()
            try clipGradNorm(parameters, maxNorm: 1)
            try optimizer.step()
            try optimizer.zeroGrad()
        }
        return try OpsBenchmark.median(iterations: iterations, warmUp: 1, step)
    }
}

/// The process's peak resident set (VmHWM), in MB.
func peakResidentMegabytes() -> Int {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return -1 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }
    return -1
}
