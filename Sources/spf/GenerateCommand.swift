import ArgumentParser
import Foundation
import Imaging
import InputChecks
import SafeTensors
import Schedulers
import StableDiffusion
import Tokenizers
import Torch

/// `spf generate`: text to PNG images with a Stable Diffusion 1.5-family model.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate images from a prompt with a diffusers-format Stable Diffusion model.",
        discussion: """
            Images are written as <out>/<seed>-<index>.png with the prompt, negative prompt, seed, steps, \
            scheduler and guidance in the PNG's text chunks. Nothing is written unless every image was made. \
            --init-latents starts from given noise (a safetensors file with one [B, 4, H/8, W/8] tensor) so that \
            a run can be compared step for step with diffusers' `latents=`. --lora applies a LoRA file in kohya \
            (A1111, ComfyUI) or diffusers format to the UNet and text encoder, at --lora-scale (diffusers' lora_scale); \
            its path and scale go into the text chunks too.
            """
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "A diffusers model folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/, scheduler/), or an original single-file SD 1.5 checkpoint (.safetensors).")
    var model: String

    @Option(help: "For a single-file checkpoint: a tokenizer folder (vocab.json + merges.txt) or open_clip's bpe_simple_vocab_16e6.txt.gz.")
    var tokenizer: String?

    @OptionGroup var promptInput: PromptInput

    @Option(help: "What to steer away from (classifier-free guidance's unconditional prompt).")
    var negativePrompt = ""

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Seed of the CPU generator that draws the initial noise.")
    var seed: UInt64 = 0

    @Option(help: "Images per prompt (1 to \(GenerationOptions.maxBatchSize)).")
    var batch = 1

    @Option(help: "Denoising steps.")
    var steps = 30

    @Option(help: "Classifier-free guidance scale (<= 1 disables guidance).")
    var guidance = 7.5
    @Option(name: .customLong("guidance-rescale"),
            help: "diffusers' guidance_rescale in [0, 1]: rescales the guided prediction towards the text prediction's spread (0: plain guidance).")
    var guidanceRescale = 0.0
    @OptionGroup var projectedGuidance: ProjectedGuidanceOptions

    @Option(help: "Image height in pixels (a multiple of 8; default: the model's own size, unet sample_size x VAE scale, 512 for SD 1.5).")
    var height: Int?

    @Option(help: "Image width in pixels (a multiple of 8; default: the model's own size).")
    var width: Int?

    @Option(help: "Sampler: ddim, euler, euler_a, dpmpp_2m, dpmpp_2m_karras, ddpm, or a diffusers class name (default: the model's own, else DDIM).")
    var scheduler: String?

    @Option(help: "Use the text encoder's hidden state this many layers before the last (diffusers' clip_skip; A1111's 'clip skip 2' is 1).")
    var clipSkip: Int?

    @Option(help: "Start from these latents (safetensors file holding one tensor) instead of the seed.")
    var initLatents: String?

    @Option(help: "A LoRA file (.safetensors, kohya/A1111/ComfyUI or diffusers format, told apart by its keys) to apply to the UNet and text encoder.")
    var lora: String?

    @Option(help: "LoRA strength: each adapted layer adds scale * (alpha / rank) * B(A(x)) (diffusers' lora_scale, kohya's multiplier; default 1).")
    var loraScale: Double?

    @Option(help: "Weights variant to load, e.g. fp16 for *.fp16.safetensors.")
    var variant: String?

    @Option(help: "Compute dtype: float32, float16 or bfloat16.")
    var dtype = "float32"

    @Option(help: "Device: cpu or cuda[:N].")
    var device = "cpu"

    func run() throws {
        // libtorch's thread count is process-wide: leave it as found for whoever runs this in-process (tests).
        let previousThreads = LibTorch.numThreads
        defer { try? LibTorch.setNumThreads(previousThreads) }
        try runtime.apply()
        guard let computeType = DType(name: dtype), computeType.isFloatingPoint else {
            throw ValidationError("unknown --dtype '\(dtype)' (float32, float16 or bfloat16)")
        }
        guard let target = Device(name: device) else { throw ValidationError("unknown --device '\(device)' (cpu or cuda[:N])") }
        if case .cuda(let index) = target {
            let count = LibTorch.cudaDeviceCount
            guard index < count else {
                throw ValidationError(count == 0
                    ? "--device \(device): this libtorch (\(LibTorch.libraryPath)) has no CUDA device; use --device cpu, "
                        + "or build against a CUDA libtorch with LIBTORCH=..."
                    : "--device \(device): there are \(count) CUDA devices (cuda:0...cuda:\(count - 1))")
            }
        }
        let prompt = try promptInput.text()
        // Sizes not given are the model's own, known once it is loaded; checked here with SD's 512 meanwhile.
        var options = GenerationOptions(prompt: prompt, negativePrompt: negativePrompt, seed: seed, batchSize: batch,
                                        steps: steps, guidanceScale: guidance, height: height ?? 512, width: width ?? 512,
                                        scheduler: scheduler)
        options.guidanceRescale = guidanceRescale
        options.projectedGuidance = try projectedGuidance.settings()
        try options.validate()
        if loraScale != nil, lora == nil { throw ValidationError("--lora-scale needs --lora") }
        if let loraScale, !(loraScale.isFinite && abs(loraScale) <= 100) {
            throw ValidationError("--lora-scale must be a finite number between -100 and 100, got \(loraScale)")
        }
        // Everything that can be checked without the model's weights, before they are loaded (seconds to minutes):
        // the output folder and its file names, the input files, the sampler and the step count.
        let names = (0..<batch).map { "\(seed)-\($0).png" }
        let output = try OutputFolder(out, names: names)
        let latents = try initLatents.map(Self.loadLatents)
        if let lora { try InputFile.requireRegularFile(lora, kind: "a LoRA file") }
        try checkSampler(options)

        let pipeline = try loadPipeline(dtype: computeType, device: target)
        options.height = height ?? pipeline.defaultImageSize
        options.width = width ?? pipeline.defaultImageSize
        try options.validate()
        if let lora {
            let scale = loraScale ?? 1
            let weights = try pipeline.loadLoRA(lora, scale: scale)
            let counts = LoRAComponent.allCases.map { component in
                "\(weights.adapters.filter { $0.component == component }.count) \(component.displayName)"
            }
            FileHandle.standardError.write(Data(("spf generate: LoRA \(lora) (\(weights.format?.rawValue ?? "?") format, "
                + "\(counts.joined(separator: " + ")) layers) at scale \(scale)\n").utf8))
        }
        let samplerName = pipeline.schedulerName(for: options)
        FileHandle.standardError.write(Data("spf generate: \(samplerName), \(steps) steps, \(options.width)x\(options.height), batch \(batch)\n".utf8))
        let progress = ProgressReporter(label: "denoising")
        let images = try pipeline.generate(options, initialLatents: latents, clipSkip: clipSkip) { step, total in
            progress.update(step, of: total)
        }

        let text: [(key: String, value: String)] = [
            ("prompt", prompt), ("negative_prompt", negativePrompt), ("seed", String(seed)), ("steps", String(steps)),
            ("scheduler", samplerName), ("guidance_scale", String(guidance)),
            ("guidance_rescale", String(guidanceRescale)), ("apg", projectedGuidance.description), ("model", model),
            ("init_latents", initLatents ?? ""), ("clip_skip", clipSkip.map(String.init) ?? ""),
            ("lora", lora ?? ""), ("lora_scale", lora.map { _ in String(loraScale ?? 1) } ?? ""), ("software", "spf-portrait"),
        ]
        // Nothing is written unless every image was made: staged, then moved into place together.
        let paths = try output.publish(names) { name, path in
            let index = names.firstIndex(of: name)!
            let image = try RGBImage(tensor: images.select(dim: 0, index: index))
            try PNGWriter.write(image, text: text, to: path)
        }
        for path in paths { print(path) }
    }

    /// The sampler and step count, checked against the model's scheduler config before any weights are read
    /// (`--steps 1000` with SD 1.5's leading spacing reaches timestep 1000, which does not exist).
    func checkSampler(_ options: GenerationOptions) throws {
        var isDirectory: ObjCBool = false
        let config: SchedulerConfig
        if FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory), isDirectory.boolValue {
            let folder = try DiffusersFolder(path: model)
            config = try SchedulerConfig.load(contentsOf: URL(fileURLWithPath: folder.component("scheduler").configPath))
        } else {
            config = SingleFileArchitecture().scheduler
        }
        let name = StableDiffusionPipeline.schedulerName(for: options, config: config)
        do {
            try makeScheduler(name: name, config: config).setTimesteps(options.steps)
        } catch let error as SchedulerError {
            throw ValidationError("--steps \(options.steps) with \(name): \(error)")
        }
    }

    /// A diffusers folder, or a single-file checkpoint with SD 1.5's architecture and the given tokenizer.
    func loadPipeline(dtype: DType, device: Device) throws -> StableDiffusionPipeline {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: model, isDirectory: &isDirectory) else {
            throw InputError("\(model): no such model folder or checkpoint file")
        }
        if isDirectory.boolValue {
            return try StableDiffusionPipeline.load(path: model, dtype: dtype, device: device, variant: variant)
        }
        guard let tokenizer else {
            throw ValidationError("\(model) is a single-file checkpoint, which carries no tokenizer: add --tokenizer")
        }
        let clipTokenizer = tokenizer.hasSuffix(".gz")
            ? try CLIPTokenizer(openCLIPVocabulary: tokenizer) : try CLIPTokenizer(directory: tokenizer)
        return try StableDiffusionPipeline.load(singleFile: model, tokenizer: clipTokenizer, dtype: dtype, device: device)
    }

    /// The single tensor of a safetensors file (or its "latents" entry).
    static func loadLatents(_ path: String) throws -> Tensor {
        let file = try SafeTensorsFile(path: path)
        let name: String
        if file.names.contains("latents") {
            name = "latents"
        } else {
            guard file.names.count == 1 else {
                throw InputError("\(path): expected one tensor (or one named 'latents'), found \(file.names.count)")
            }
            name = file.names[0]
        }
        let tensor = try file.tensor(name)
        guard tensor.dtype.isFloatingPoint else {
            throw InputError("\(path): tensor '\(name)' holds \(tensor.dtype) values; latents are floating point")
        }
        guard try tensor.isFinite().all().item() != 0 else {
            throw InputError("\(path): tensor '\(name)' contains NaN or infinity")
        }
        return tensor
    }
}
