import ArgumentParser
import Demo
import Foundation
import Imaging
import StableDiffusion
import Torch
import Training

/// `spf compare`: what a customization changed, prompt by prompt, on the same seeds.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Render original vs customized models side by side: one PNG grid per prompt.",
        discussion: """
            For every prompt (base text + target) and seed, three images in a row: the original model on the \
            base text, the customized model on the full text (the target should appear, nothing else should \
            change), and the customized model on the base text alone (it should still draw the original). \
            --prompts holds one prompt per line: a JSON object with metadata.jsonl's caption fields (base, \
            target, mode, replaces), or a plain base text that takes --target (and --replaces for replace mode). \
            Writes OUT/compare-<n>.png (with the texts and seeds in its text chunks), all or nothing. \
            With --run (an `spf train --method spf` run) the two models are the run's original and its result, and \
            two columns follow: the Semantic-Aware Fine Control Map M and the target phrase's attention, both from \
            the run's stage 2 on the customized full-text image noised to --map-timestep, as heat maps over it.
            """
    )

    @Option(help: "The original model (diffusers folder or single-file checkpoint).")
    var original: String?
    @Option(help: "The customized model (diffusers folder or single-file checkpoint).")
    var customized: String?
    @Option(help: "A LoRA file (kohya or diffusers format) applied to the original model instead of --customized.")
    var lora: String?
    @Option(name: .customLong("run"),
            help: "An SPF training run instead of --original/--customized/--lora: adds the SFCM and target-attention columns.")
    var spfRun: String?
    @Option(help: "With --run: the timestep the maps are computed at.")
    var mapTimestep = 500
    @Option(help: """
        With --run: comma-separated cross-attention layers the maps read ("1/2", "all", or a layer name ending in \
        .attn2); default: the run's spf.sfcm_layers.
        """)
    var mapLayers: String?
    @Option(help: "LoRA scale.")
    var loraScale = 1.0
    @Option(help: "For single-file models: a tokenizer folder or bpe_simple_vocab_16e6.txt.gz.")
    var tokenizer: String?
    @Option(help: "The prompts file.")
    var prompts: String
    @Option(help: "The target phrase for plain base-text lines.")
    var target: String?
    @Option(help: "For plain lines in replace mode: the base phrase the target replaces.")
    var replaces: String?
    @Option(help: "Comma-separated seeds (one row each).")
    var seeds = "0,1,2"
    @Option(help: "Denoising steps.")
    var steps = 30
    @Option(help: "Classifier-free guidance scale.")
    var guidance = 7.5
    @Option(help: "Image size in pixels (a multiple of 8).")
    var size = 512
    @Option(help: "Output folder (created; existing compare-*.png files are replaced).")
    var out: String
    @OptionGroup var runtime: RuntimeOptions

    /// --map-layers as selectors (nil: the run's own sfcm_layers); an empty entry is an error here, an unknown
    /// layer one from the UNet that names it.
    var mapLayerList: [String]? {
        get throws {
            guard let mapLayers else { return nil }
            let list = mapLayers.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !list.contains(where: \.isEmpty) else { throw InputError("--map-layers: '\(mapLayers)' has an empty entry") }
            return list
        }
    }

    /// How the PNG's columns text names the map layers (only when --map-layers chose them).
    var layersNote: String { mapLayers.map { " on \($0)" } ?? "" }

    func run() throws {
        try runtime.apply()
        if spfRun != nil {
            guard original == nil, customized == nil, lora == nil else {
                throw InputError("--run names both models: leave out --original, --customized and --lora")
            }
            guard (0..<1000).contains(mapTimestep) else { throw InputError("--map-timestep must be in 0...999") }
        } else {
            guard mapLayers == nil else { throw InputError("--map-layers needs --run (the maps come from an SPF run)") }
            guard original != nil else { throw InputError("give --original (with --customized or --lora), or --run") }
            guard (customized == nil) != (lora == nil) else { throw InputError("give either --customized or --lora") }
        }
        let seedList = try seeds.split(separator: ",").map { text -> UInt64 in
            guard let value = UInt64(text.trimmingCharacters(in: .whitespaces)) else {
                throw InputError("--seeds: '\(text)' is not a seed (non-negative integers, comma-separated)")
            }
            return value
        }
        guard !seedList.isEmpty, seedList.count <= 64 else { throw InputError("--seeds: give 1 to 64 seeds") }
        guard size >= 8, size <= 2048, size % 8 == 0 else { throw InputError("--size must be a multiple of 8 in 8...2048") }
        guard steps > 0, steps <= 1000 else { throw InputError("--steps must be in 1...1000") }
        let captions = try PromptList.read(prompts, target: target, replaces: replaces)
        let names = captions.indices.map { "compare-\($0).png" }
        let folder = try OutputFolder(out, names: names)

        // An SPF run's stage-2 model is the customized model and, through its reference path, the original:
        // one load (SD 1.5 size: one UNet in memory instead of three).
        let stage2 = try spfRun.map { try SPFMapSnapshot.Stage2Model(run: $0, mapLayers: mapLayerList) }
        stage2?.setLoRAStrength(loraScale)
        let models = try modelSources()
        let loaded = stage2 == nil ? try loadModels(models) : nil
        func render<R>(original: Bool, _ body: (StableDiffusionPipeline) throws -> R) throws -> R {
            guard let stage2 else { return try body(original ? loaded!.original : loaded!.customized) }
            return original ? try stage2.original { try body(stage2.pipeline) } : try body(stage2.pipeline)
        }
        let progress = ProgressReporter(label: "compare")
        var done = 0
        try folder.publish(names) { name, path in
            let index = names.firstIndex(of: name)!
            let caption = captions[index]
            var rows: [[RGBImage]] = []
            for seed in seedList {
                func image(original: Bool, _ prompt: String) throws -> RGBImage {
                    var options = GenerationOptions(prompt: prompt, seed: seed, steps: steps, height: size, width: size)
                    options.guidanceScale = guidance
                    return try render(original: original) { pipeline in
                        try Tensor.withNoGrad { try RGBImage(tensor: pipeline.generate(options).select(dim: 0, index: 0)) }
                    }
                }
                rows.append([try image(original: true, caption.base), try image(original: false, caption.fullText),
                             try image(original: false, caption.base)])
                done += 1
                progress.update(done, of: captions.count * seedList.count)
            }
            if let stage2 {
                // Every seed's full-text image in one stage-2 forward; the noise is drawn once from the first seed.
                let snapshot = try SPFMapSnapshot.compute(stage2, images: rows.map { (caption, $0[1]) },
                                                          timestep: mapTimestep, seed: seedList[0])
                for (row, example) in snapshot.examples.enumerated() {
                    for map in [example.controlMap, example.targetAttention] {
                        rows[row].append(try rows[row][1].heatMapOverlay(map, height: example.height, width: example.width))
                    }
                }
            }
            let text: [(key: String, value: String)] = [
                ("base", caption.base), ("full", caption.fullText), ("target", caption.target),
                ("seeds", seedList.map(String.init).joined(separator: ",")),
                ("columns", "original on base | customized on full text | customized on base"
                    + (stage2 == nil ? "" : " | SFCM M at t=\(mapTimestep)\(layersNote) | target attention at t=\(mapTimestep)\(layersNote)")),
                ("original", models.original), ("customized", models.customizedName),
            ]
            try PNGWriter.write(try ImageGrid.make(rows), text: text, to: path)
        }
        print(out)
    }

    /// Where the two models come from and how the PNG names them: from --run's config (its model, and its
    /// result folder or LoRA file), or from --original with --customized or --lora.
    func modelSources() throws -> ModelSources {
        var originalPath = original ?? ""
        var customizedPath = customized
        var loraPath = lora
        if let spfRun {
            let folder = RunFolder(path: spfRun)
            let config = try ConfigResolution.resolveResumed(savedConfig: folder.file("config.json"), overrides: [])
            originalPath = config.model
            if config.spf.lora || config.method == .lora {
                loraPath = (LoRAExport.folder(folder) as NSString).appendingPathComponent(LoRAExport.diffusersFileName)
            } else {
                customizedPath = folder.modelPath
            }
        }
        return ModelSources(original: originalPath, customized: customizedPath, lora: loraPath,
                            customizedName: loraPath.map { "\(originalPath) + LoRA \($0) x\(loraScale)" } ?? customizedPath!)
    }

    /// The two pipelines of --original with --customized or --lora.
    func loadModels(_ names: ModelSources) throws -> (original: StableDiffusionPipeline, customized: StableDiffusionPipeline) {
        let originalModel = try StableDiffusionPipeline.load(model: names.original, tokenizer: tokenizer)
        let customizedModel: StableDiffusionPipeline
        if let loraPath = names.lora {
            customizedModel = try StableDiffusionPipeline.load(model: names.original, tokenizer: tokenizer)
            _ = try customizedModel.loadLoRA(loraPath, scale: loraScale)
        } else {
            customizedModel = try StableDiffusionPipeline.load(model: names.customized!, tokenizer: tokenizer)
        }
        return (originalModel, customizedModel)
    }
}

/// The models a comparison names: the original folder, and the customized folder or a LoRA file on the original.
struct ModelSources {
    let original: String
    let customized: String?
    let lora: String?
    /// How the PNG names the customized model.
    let customizedName: String
}
