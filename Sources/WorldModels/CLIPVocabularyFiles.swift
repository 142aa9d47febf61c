import Foundation
import PortraitWorld
import Tokenizers

/// The real CLIP BPE vocabulary (open_clip's `bpe_simple_vocab_16e6.txt.gz`) written as a diffusers /
/// transformers `tokenizer/` folder: vocab.json (the 49408 tokens by id, taken from the tokenizer built from
/// the .gz, so ids are the ones SimpleTokenizer gives), merges.txt ("#version: 0.2" then the 48894 merges in
/// rank order, as transformers saves them), tokenizer_config.json and special_tokens_map.json.
public enum CLIPVocabularyFiles {
    public static let mergeCount = 49152 - 256 - 2

    /// Where `scripts/setup.sh` puts the vocabulary (relative to the repository root), and `$SPF_CLIP_VOCAB`.
    public static func defaultPath() -> String {
        if let path = ProcessInfo.processInfo.environment["SPF_CLIP_VOCAB"], !path.isEmpty { return path }
        return ".cache/clip/bpe_simple_vocab_16e6.txt.gz"
    }

    public static func files(openCLIPVocabulary path: String) throws -> [String: Data] {
        let tokenizer = try CLIPTokenizer(openCLIPVocabulary: path)
        var vocab: [String: Int] = [:]
        for id in 0..<tokenizer.vocabularySize {
            guard let token = tokenizer.token(of: id) else { throw WorldError("\(path): no token for id \(id)") }
            vocab[token] = id
        }
        let text = try Gzip.decompress(Data(contentsOf: URL(fileURLWithPath: path)), path: path)
        let lines = text.split(separator: 0x0A, maxSplits: mergeCount + 1, omittingEmptySubsequences: false)
        guard lines.count > mergeCount else { throw WorldError("\(path): too few merge lines") }
        var merges = Data("#version: 0.2\n".utf8)
        for line in lines[1...mergeCount] {
            merges.append(contentsOf: line)
            merges.append(0x0A)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let config: [String: AnyCodable] = [
            "bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>",
            "unk_token": "<|endoftext|>", "model_max_length": 77, "tokenizer_class": "CLIPTokenizer",
            "do_lower_case": true, "clean_up_tokenization_spaces": false,
        ]
        let specials: [String: String] = ["bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>",
                                          "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>"]
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return [
            "vocab.json": try JSONSerialization.data(withJSONObject: vocab, options: [.sortedKeys, .withoutEscapingSlashes]),
            "merges.txt": merges,
            "tokenizer_config.json": try encoder.encode(config),
            "special_tokens_map.json": try encoder.encode(specials),
        ]
    }
}

/// A JSON scalar for small hand-written config files.
public enum AnyCodable: Encodable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByFloatLiteral, Sendable {
    case string(String), int(Int), bool(Bool), double(Double), strings([String]), doubles([Double])
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .string(let v): try c.encode(v)
        case .int(let v): try c.encode(v)
        case .bool(let v): try c.encode(v)
        case .double(let v): try c.encode(v)
        case .strings(let v): try c.encode(v)
        case .doubles(let v): try c.encode(v)
        }
    }
}
