import ArgumentParser
import Foundation
import Tokenizers
import WorldModels

/// `spf world bench`: seconds per training step of each foundation model at a few sizes.
struct WorldBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time one training step (forward, backward, AdamW) of the world's models at a few sizes."
    )

    @Option(help: "Timed steps per model (after one warm-up step).")
    var steps = 3

    @Option(help: "Only this model: vae, clip, unet or probe.")
    var model: String?

    @Option(help: "open_clip's bpe_simple_vocab_16e6.txt.gz (for CLIP; default: $SPF_CLIP_VOCAB or .cache/clip/...).")
    var vocabulary: String?

    func run() throws {
        let path = vocabulary ?? CLIPVocabularyFiles.defaultPath()
        let tokenizer = FileManager.default.fileExists(atPath: path) ? try CLIPTokenizer(openCLIPVocabulary: path) : nil
        print(String(format: "rendering: %.2f ms per 64x64 example (image, label map, classes as tensors)",
                     try WorldModelBench.renderMilliseconds(count: 64)))
        print("| model | size | parameters | batch | s/step |\n|---|---|---|---|---|")
        for row in try WorldModelBench.variants(tokenizer: tokenizer) where model == nil || row.model == model {
            let stage = try row.make()
            let parameters = stage.trainableParameters.reduce(0) { $0 + $1.tensor.numel }
            let seconds = try WorldModelBench.time(stage, batch: row.batch, steps: steps)
            print(String(format: "| %@ | %@ | %.2fM | %d | %.2f |", row.model, row.variant, Double(parameters) / 1e6,
                         row.batch, seconds))
        }
    }
}
