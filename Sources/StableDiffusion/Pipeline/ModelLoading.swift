import Foundation
import Tokenizers
import Torch

extension StableDiffusionPipeline {
    /// A diffusers folder, or an original single-file SD 1.5 checkpoint with the given tokenizer (a folder
    /// with vocab.json + merges.txt, or open_clip's bpe_simple_vocab_16e6.txt.gz): what `spf generate` and
    /// `spf train` accept as `--model`.
    public static func load(model path: String, tokenizer: String?, dtype: DType = .float32, device: Device = .cpu,
                            variant: String? = nil) throws -> StableDiffusionPipeline {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return try load(path: path, dtype: dtype, device: device, variant: variant)
        }
        guard let tokenizer else {
            throw PipelineError("\(path) is a single-file checkpoint, which carries no tokenizer: give a tokenizer "
                                + "folder or bpe_simple_vocab_16e6.txt.gz")
        }
        let clipTokenizer = tokenizer.hasSuffix(".gz")
            ? try CLIPTokenizer(openCLIPVocabulary: tokenizer) : try CLIPTokenizer(directory: tokenizer)
        return try load(singleFile: path, tokenizer: clipTokenizer, dtype: dtype, device: device)
    }
}
