import ArgumentParser
import Foundation
import InputChecks
import StableDiffusion
import Torch

/// `spf convert`: an original single-file SD 1.5 checkpoint to a diffusers folder.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert an original single-file SD 1.5 checkpoint (.safetensors) into a diffusers folder.",
        discussion: """
            Keys are converted as diffusers' single-file loader does (bit-identical tensors). The file carries \
            no tokenizer, so --tokenizer names a tokenizer folder whose files are copied. The scheduler config \
            written is DDIM with SD 1.5's schedule. model_index.json is written last.
            """
    )

    @Option(help: "The single-file checkpoint (.safetensors with model.diffusion_model.* keys).")
    var checkpoint: String

    @Option(help: "A tokenizer folder (vocab.json + merges.txt, or tokenizer.json).")
    var tokenizer: String

    @Option(help: "The diffusers folder to write.")
    var out: String

    @Option(help: "Store weights as float32, float16 or bfloat16 (default: as in the checkpoint).")
    var dtype: String?

    @Flag(help: "Take the UNet from the EMA weights (model_ema.*).")
    var ema = false

    func run() throws {
        let storage = try dtype.map { name -> DType in
            guard let value = DType(name: name), value.isFloatingPoint else {
                throw ValidationError("unknown --dtype '\(name)'")
            }
            return value
        }
        if FileManager.default.fileExists(atPath: (out as NSString).appendingPathComponent("model_index.json")) {
            throw InputError("\(out) already holds a diffusers pipeline (model_index.json); choose another --out")
        }
        // Inputs and output checked before the conversion reads gigabytes; a FIFO fails at once.
        try InputFile.requireRegularFile(checkpoint, kind: "a checkpoint file")
        let output = try OutputFolder(out)
        // Written into a staging folder and moved into place (model_index.json last) only when complete.
        try output.publishTree(last: ["model_index.json"]) { staging in
            try SingleFileConversion.convert(checkpoint: checkpoint, tokenizerFolder: tokenizer, to: staging,
                                             dtype: storage, extractEMA: ema)
        }
        print(out)
    }
}
