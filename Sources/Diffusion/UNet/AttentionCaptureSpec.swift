/// Which cross-attention layers (attn2) a UNet forward call captures, and what it returns for each
/// (SPF's text-consistent and fine-grained alignment read these; see docs/method.md).
///
/// A plain value: it travels with a training configuration. In JSON:
/// `{"layers": ["1/4", "1/2"], "tokenGroups": [[1, 2], [4, 5, 6]], "queries": true, "rawProbabilities": false}`,
/// or, when the samples of a batch have different token groups (prompts with different phrase spans),
/// `{"layers": ["all"], "sampleTokenGroups": [[[1, 2], [5]], [[1, 2, 3], []]]}`.
public struct AttentionCaptureSpec: Codable, Equatable, Sendable {
    /// The layers: their union is captured.
    public var layers: [CaptureLayerSelector]
    /// Token groups (e.g. the phrase spans of the prompt, the PAD group): each group's map is the SUM over
    /// its token indices of the head-averaged attention probabilities. May be empty (no maps).
    public var tokenGroups: [[Int]]
    /// Token groups per sample, [B][G]: sample b's map g sums over `sampleTokenGroups[b][g]`. Every sample has
    /// the same number of groups G; a sample with fewer groups pads with empty groups, whose maps are zero
    /// (a caller masks them out). Empty (the default): every sample uses `tokenGroups`. Setting both is an error.
    public var sampleTokenGroups: [[[Int]]]
    /// Return the query features Q = to_q(norm2(h)), [B, h*w, C], of each captured layer.
    public var queries: Bool
    /// Also return the raw softmax probabilities [B, heads, h*w, S] (tests, visualisation; costs memory).
    public var rawProbabilities: Bool

    public init(layers: [CaptureLayerSelector], tokenGroups: [[Int]] = [], sampleTokenGroups: [[[Int]]] = [],
                queries: Bool = true, rawProbabilities: Bool = false) {
        self.layers = layers
        self.tokenGroups = tokenGroups
        self.sampleTokenGroups = sampleTokenGroups
        self.queries = queries
        self.rawProbabilities = rawProbabilities
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decode([CaptureLayerSelector].self, forKey: .layers)
        tokenGroups = try c.decodeIfPresent([[Int]].self, forKey: .tokenGroups) ?? []
        sampleTokenGroups = try c.decodeIfPresent([[[Int]]].self, forKey: .sampleTokenGroups) ?? []
        queries = try c.decodeIfPresent(Bool.self, forKey: .queries) ?? true
        rawProbabilities = try c.decodeIfPresent(Bool.self, forKey: .rawProbabilities) ?? false
    }

    private enum CodingKeys: String, CodingKey {
        case layers, tokenGroups, sampleTokenGroups, queries, rawProbabilities
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers)
        try c.encode(tokenGroups, forKey: .tokenGroups)
        if !sampleTokenGroups.isEmpty { try c.encode(sampleTokenGroups, forKey: .sampleTokenGroups) }
        try c.encode(queries, forKey: .queries)
        try c.encode(rawProbabilities, forKey: .rawProbabilities)
    }
}

/// A set of cross-attention layers, written in JSON as one string:
/// `"all"`; `"1/N"`: every layer that runs at 1/N of the latent size (N a power of two: "1/1", "1/2", "1/4",
/// "1/8" in SD 1.5); or a layer's full name, e.g. `"down_blocks.1.attentions.0.transformer_blocks.0.attn2"`.
public enum CaptureLayerSelector: Codable, Hashable, Sendable, CustomStringConvertible {
    case all
    case downscale(Int)
    case name(String)

    public init(_ text: String) throws {
        if text == "all" {
            self = .all
        } else if text.hasPrefix("1/") {
            guard let n = Int(text.dropFirst(2)), n > 0, n & (n - 1) == 0 else {
                throw UNetError("capture layer selector \"\(text)\": expected 1/N with N a power of two")
            }
            self = .downscale(n)
        } else if text.hasSuffix(".attn2") {
            self = .name(text)
        } else {
            throw UNetError("capture layer selector \"\(text)\": expected \"all\", \"1/N\" or a layer name ending in .attn2")
        }
    }

    public init(from decoder: Decoder) throws {
        try self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    public var description: String {
        switch self {
        case .all: return "all"
        case .downscale(let n): return "1/\(n)"
        case .name(let name): return name
        }
    }
}
