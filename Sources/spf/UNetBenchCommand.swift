import ArgumentParser
import Diffusion
import Foundation
import NN
import Schedulers
import StableDiffusion
import Torch

/// `spf bench unet`: the SD 1.5 UNet at full size, for bench/unet.sh to set beside diffusers.
struct UNetBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unet",
        abstract: "Time the SD 1.5 UNet: forward+backward (batch 1, 64x64 latents) and a 20-step DDIM sampling loop with CFG at a small size."
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "train (forward+backward) or sample (denoising loop).")
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
            throw ValidationError("--task must be train or sample")
        }
        print("{\"op\": \"unet_\(task)\", \"median_ms\": \(seconds * 1000), \"peak_rss_mb\": \(peakResidentMegabytes())}")
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
