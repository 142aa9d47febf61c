import Foundation

/// One `validation_prompts` entry: a plain prompt (`"a woman, in a red dress"`), or a base/target caption as
/// metadata.jsonl writes it (`{base = "a woman, a photo", target = "with a red hat"}`, optionally `mode` and
/// `replaces`). A caption renders its full text; in an SPF run it also gets the base text and the SFCM and
/// target-attention maps (what the method changes, and where).
public struct ValidationPrompt: Codable, Equatable, Sendable, ExpressibleByStringLiteral {
    /// What the current model is prompted with (the full text of a caption).
    public let text: String
    public let caption: PortraitCaption?

    public init(stringLiteral text: String) {
        self.text = text
        caption = nil
    }

    public init(_ caption: PortraitCaption) {
        text = caption.fullText
        self.caption = caption
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case base, target, mode, replaces }

    public init(from decoder: Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            self.init(stringLiteral: text)
            return
        }
        let container = try decoder.container(keyedBy: AnyKey.self)
        let known = Set(CodingKeys.allCases.map(\.rawValue))
        if let unknown = container.allKeys.first(where: { !known.contains($0.stringValue) }) {
            throw DecodingError.dataCorruptedError(forKey: unknown, in: container, debugDescription:
                "unknown caption field '\(unknown.stringValue)' (a prompt is a string or {base, target, mode, replaces})")
        }
        func string(_ key: CodingKeys) throws -> String? { try container.decodeIfPresent(String.self, forKey: AnyKey(key.rawValue)) }
        guard let base = try string(.base), let target = try string(.target) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription:
                "a caption prompt needs `base` and `target` (or give a plain string)"))
        }
        let modeText = try string(.mode) ?? "add"
        guard let mode = PortraitCaption.Mode(rawValue: modeText) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath + [AnyKey("mode")], debugDescription:
                "mode \"\(modeText)\" is not one of add, replace"))
        }
        do {
            self.init(try PortraitCaption(base: base, target: target, mode: mode, replaces: try string(.replaces)))
        } catch let error as DatasetRowError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: Encoder) throws {
        guard let caption else {
            var container = encoder.singleValueContainer()
            try container.encode(text)
            return
        }
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(caption.base, forKey: .base)
        try container.encode(caption.target, forKey: .target)
        try container.encode(caption.mode.rawValue, forKey: .mode)
        try container.encodeIfPresent(caption.replaces, forKey: .replaces)
    }

    struct AnyKey: CodingKey {
        let stringValue: String
        var intValue: Int? { nil }
        init(_ string: String) { stringValue = string }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
