import ArgumentParser
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
            Writes OUT/compare-<n>.png (with the texts and seeds in its text chunks), all or nothing.
            """
    )

    @Option(help: "The original model (diffusers folder or single-file checkpoint).")
    var original: String
    @Option(help: "The customized model (diffusers folder or single-file checkpoint).")
    var customized: String?
    @Option(help: "A LoRA file (kohya or diffusers format) applied to the original model instead of --customized.")
    var lora: String?
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

    func run() throws {
        try runtime.apply()
        guard (customized == nil) != (lora == nil) else { throw InputError("give either --customized or --lora") }
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

        let originalModel = try StableDiffusionPipeline.load(model: original, tokenizer: tokenizer)
        let customizedModel: StableDiffusionPipeline
        if let lora {
            customizedModel = try StableDiffusionPipeline.load(model: original, tokenizer: tokenizer)
            _ = try customizedModel.loadLoRA(lora, scale: loraScale)
        } else {
            customizedModel = try StableDiffusionPipeline.load(model: customized!, tokenizer: tokenizer)
        }
        let progress = ProgressReporter(label: "compare")
        var done = 0
        try folder.publish(names) { name, path in
            let index = names.firstIndex(of: name)!
            let caption = captions[index]
            var rows: [[RGBImage]] = []
            for seed in seedList {
                func image(_ pipeline: StableDiffusionPipeline, _ prompt: String) throws -> RGBImage {
                    var options = GenerationOptions(prompt: prompt, seed: seed, steps: steps, height: size, width: size)
                    options.guidanceScale = guidance
                    return try Tensor.withNoGrad { try RGBImage(tensor: pipeline.generate(options).select(dim: 0, index: 0)) }
                }
                rows.append([try image(originalModel, caption.base), try image(customizedModel, caption.fullText),
                             try image(customizedModel, caption.base)])
                done += 1
                progress.update(done, of: captions.count * seedList.count)
            }
            let text: [(key: String, value: String)] = [
                ("base", caption.base), ("full", caption.fullText), ("target", caption.target),
                ("seeds", seedList.map(String.init).joined(separator: ",")),
                ("columns", "original on base | customized on full text | customized on base"),
                ("original", original), ("customized", lora.map { "\(original) + LoRA \($0) x\(loraScale)" } ?? customized!),
            ]
            try PNGWriter.write(try ImageGrid.make(rows), text: text, to: path)
        }
        print(out)
    }
}
