import Foundation

/// The special tokens of a CLIP tokenizer and how transformers 5.24 matches them inside text.
///
/// transformers adds bos, eos, unk and pad (in that order) to the backend as special "added tokens", which
/// are cut out of the text before the BPE sees it. A token given as a plain string is matched in the raw text
/// (`normalized: false`); one given as an AddedToken dict with `"normalized": true` is matched after
/// normalization (so "<|ENDOFTEXT|>" matches too). Tokens with the same content share one entry and the last
/// one added decides the flag: in SD 1.5's folder the plain-string pad makes "<|endoftext|>" raw-matched while
/// "<|startoftext|>" stays normalized; SD 2's pad "!" makes every "!" in a prompt the pad token (id 0).
public struct SpecialTokens: Sendable, Equatable {
    public struct Token: Sendable, Equatable {
        public var content: String
        public var normalized: Bool

        public init(_ content: String, normalized: Bool = false) {
            self.content = content
            self.normalized = normalized
        }
    }

    public var bos: Token
    public var eos: Token
    public var unk: Token
    public var pad: Token
    /// `model_max_length` from tokenizer_config.json, when it is a real limit (not transformers' 1e30).
    public var modelMaxLength: Int?

    public init(bos: Token = Token("<|startoftext|>"), eos: Token = Token("<|endoftext|>"),
                unk: Token = Token("<|endoftext|>"), pad: Token = Token("<|endoftext|>"), modelMaxLength: Int? = nil) {
        self.bos = bos
        self.eos = eos
        self.unk = unk
        self.pad = pad
        self.modelMaxLength = modelMaxLength
    }

    /// CLIPTokenizer's defaults (no configuration files).
    public static let clip = SpecialTokens()

    /// Reads tokenizer_config.json then special_tokens_map.json (whose keys win, as in transformers) from
    /// `directory`; either may be absent. Unset tokens keep CLIPTokenizer's defaults.
    public static func read(directory: String) throws -> SpecialTokens {
        var settings: [String: Any] = [:]
        var sources: [String: String] = [:]
        for name in ["tokenizer_config.json", "special_tokens_map.json"] {
            let path = (directory as NSString).appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let object = try readJSON(path) as? [String: Any] else {
                throw TokenizerError.malformedFile(path: path, reason: "expected a JSON object")
            }
            for (key, value) in object {
                settings[key] = value
                sources[key] = path
            }
        }
        var tokens = SpecialTokens.clip
        func token(_ key: String, _ fallback: Token) throws -> Token {
            guard let value = settings[key], !(value is NSNull) else { return fallback }
            let path = sources[key] ?? directory
            if let content = value as? String { return Token(content, normalized: false) }
            guard let dict = value as? [String: Any], let content = dict["content"] as? String else {
                throw TokenizerError.malformedFile(path: path, reason: "\(key) is neither a string nor an AddedToken with a content")
            }
            for flag in ["lstrip", "rstrip", "single_word"] where (dict[flag] as? Bool) == true {
                throw TokenizerError.malformedFile(path: path, reason: "\(key) sets \(flag), which CLIPTokenizer here does not support")
            }
            // AddedToken's own default for a token built from a dict without the flag.
            return Token(content, normalized: (dict["normalized"] as? Bool) ?? true)
        }
        tokens.bos = try token("bos_token", tokens.bos)
        tokens.eos = try token("eos_token", tokens.eos)
        tokens.unk = try token("unk_token", tokens.unk)
        tokens.pad = try token("pad_token", tokens.pad)
        if let limit = settings["model_max_length"] as? NSNumber, limit.doubleValue >= 1, limit.doubleValue < 1e9 {
            tokens.modelMaxLength = limit.intValue
        }
        return tokens
    }

    /// The distinct added tokens with the flag of the last one added (bos, eos, unk, pad order).
    var addedTokens: [Token] {
        var result: [Token] = []
        for token in [bos, eos, unk, pad] where !token.content.isEmpty {
            if let index = result.firstIndex(where: { $0.content == token.content }) {
                result[index] = token
            } else {
                result.append(token)
            }
        }
        return result
    }
}

/// An added token ready for matching: its id and the scalars to find (normalized content when matched after
/// normalization).
struct AddedToken: Sendable {
    var id: Int
    var pattern: [Unicode.Scalar]
    var normalized: Bool
}
