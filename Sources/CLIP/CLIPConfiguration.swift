import Foundation
import InputChecks

/// transformers' CLIPTextConfig as written in a text encoder's config.json (SD 1.5: `text_encoder/config.json`).
/// Missing keys take transformers' defaults; unknown keys are ignored.
public struct CLIPTextConfig: Codable, Equatable, Sendable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var intermediateSize: Int
    /// Output size of `text_projection` (CLIPTextModelWithProjection, CLIPModel ignores it).
    public var projectionDim: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var maxPositionEmbeddings: Int
    public var hiddenAct: CLIPActivation
    public var layerNormEps: Double
    public var padTokenId: Int
    public var bosTokenId: Int
    /// 2 in old configs (SD 1.5's): then the pooled output is taken at the largest id (the end token
    /// 49407), as transformers keeps doing for such configs.
    public var eosTokenId: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case projectionDim = "projection_dim", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", padTokenId = "pad_token_id"
        case bosTokenId = "bos_token_id", eosTokenId = "eos_token_id"
    }

    public init(vocabSize: Int = 49408, hiddenSize: Int = 512, intermediateSize: Int = 2048, projectionDim: Int = 512,
                numHiddenLayers: Int = 12, numAttentionHeads: Int = 8, maxPositionEmbeddings: Int = 77,
                hiddenAct: CLIPActivation = .quickGelu, layerNormEps: Double = 1e-5, padTokenId: Int = 1,
                bosTokenId: Int = 49406, eosTokenId: Int = 49407) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.projectionDim = projectionDim
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
        self.bosTokenId = bosTokenId
        self.eosTokenId = eosTokenId
    }

    /// SD 1.5's text encoder (openai/clip-vit-large-patch14's text tower, legacy eos_token_id 2).
    public static let stableDiffusion15 = CLIPTextConfig(
        vocabSize: 49408, hiddenSize: 768, intermediateSize: 3072, projectionDim: 768, numHiddenLayers: 12,
        numAttentionHeads: 12, maxPositionEmbeddings: 77, hiddenAct: .quickGelu, padTokenId: 1, bosTokenId: 0,
        eosTokenId: 2)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPTextConfig()
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? d.projectionDim
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        hiddenAct = try c.decodeIfPresent(CLIPActivation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? d.layerNormEps
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
        bosTokenId = try c.decodeIfPresent(Int.self, forKey: .bosTokenId) ?? d.bosTokenId
        eosTokenId = try decodeTokenId(c, .eosTokenId) ?? d.eosTokenId
        try validateHeads(hiddenSize, numAttentionHeads)
        try validate()
    }

    /// Ranges and meaning of every field (a model built from a config that fails here could not run).
    public func validate() throws {
        try ConfigCheck.count(vocabSize, "vocab_size", in: 1...(1 << 24))
        try ConfigCheck.count(hiddenSize, "hidden_size", in: 1...65536)
        try ConfigCheck.count(intermediateSize, "intermediate_size", in: 1...(1 << 18))
        try ConfigCheck.count(projectionDim, "projection_dim", in: 1...65536)
        try ConfigCheck.count(numHiddenLayers, "num_hidden_layers", in: 1...256)
        try ConfigCheck.count(numAttentionHeads, "num_attention_heads", in: 1...4096)
        try validateHeads(hiddenSize, numAttentionHeads)
        try ConfigCheck.count(maxPositionEmbeddings, "max_position_embeddings", in: 2...65536)
        try ConfigCheck.finite(layerNormEps, "layer_norm_eps", positive: true)
        try ConfigCheck.count(padTokenId, "pad_token_id", in: 0...(1 << 24))
        try ConfigCheck.count(bosTokenId, "bos_token_id", in: 0...(1 << 24))
        try ConfigCheck.count(eosTokenId, "eos_token_id", in: 0...(1 << 24))
    }

    /// Reads a `config.json` (a regular file, checked before it is opened); every error is a `ConfigFileError`
    /// naming the file and the key.
    public static func load(contentsOf url: URL) throws -> CLIPTextConfig {
        try ConfigFile.load(CLIPTextConfig.self, path: url.path, kind: "a text encoder config.json")
    }
}

/// transformers' CLIPVisionConfig (the image tower of CLIP; e.g. ViT-L/14: hidden 1024, 24 layers, patch 14).
public struct CLIPVisionConfig: Codable, Equatable, Sendable {
    public var hiddenSize: Int
    public var intermediateSize: Int
    public var projectionDim: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var numChannels: Int
    public var imageSize: Int
    public var patchSize: Int
    public var hiddenAct: CLIPActivation
    public var layerNormEps: Double

    enum CodingKeys: String, CodingKey {
        case hiddenSize = "hidden_size", intermediateSize = "intermediate_size", projectionDim = "projection_dim"
        case numHiddenLayers = "num_hidden_layers", numAttentionHeads = "num_attention_heads"
        case numChannels = "num_channels", imageSize = "image_size", patchSize = "patch_size"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps"
    }

    public init(hiddenSize: Int = 768, intermediateSize: Int = 3072, projectionDim: Int = 512, numHiddenLayers: Int = 12,
                numAttentionHeads: Int = 12, numChannels: Int = 3, imageSize: Int = 224, patchSize: Int = 32,
                hiddenAct: CLIPActivation = .quickGelu, layerNormEps: Double = 1e-5) {
        self.hiddenSize = hiddenSize
        self.intermediateSize = intermediateSize
        self.projectionDim = projectionDim
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.numChannels = numChannels
        self.imageSize = imageSize
        self.patchSize = patchSize
        self.hiddenAct = hiddenAct
        self.layerNormEps = layerNormEps
    }

    /// openai/clip-vit-large-patch14's vision tower.
    public static let vitL14 = CLIPVisionConfig(hiddenSize: 1024, intermediateSize: 4096, projectionDim: 768,
                                                numHiddenLayers: 24, numAttentionHeads: 16, imageSize: 224,
                                                patchSize: 14)

    public var numPatches: Int { (imageSize / patchSize) * (imageSize / patchSize) }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPVisionConfig()
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? d.projectionDim
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        numChannels = try c.decodeIfPresent(Int.self, forKey: .numChannels) ?? d.numChannels
        imageSize = try decodeSquareSize(c, .imageSize) ?? d.imageSize
        patchSize = try decodeSquareSize(c, .patchSize) ?? d.patchSize
        hiddenAct = try c.decodeIfPresent(CLIPActivation.self, forKey: .hiddenAct) ?? d.hiddenAct
        layerNormEps = try c.decodeIfPresent(Double.self, forKey: .layerNormEps) ?? d.layerNormEps
        try validateHeads(hiddenSize, numAttentionHeads)
        guard patchSize > 0, imageSize >= patchSize else {
            throw CLIPError.invalidConfiguration("image_size \(imageSize) and patch_size \(patchSize) give no patches")
        }
        try ConfigCheck.count(hiddenSize, "hidden_size", in: 1...65536)
        try ConfigCheck.count(intermediateSize, "intermediate_size", in: 1...(1 << 18))
        try ConfigCheck.count(projectionDim, "projection_dim", in: 1...65536)
        try ConfigCheck.count(numHiddenLayers, "num_hidden_layers", in: 1...256)
        try ConfigCheck.count(numChannels, "num_channels", in: 1...64)
        try ConfigCheck.count(imageSize, "image_size", in: 1...65536)
        try ConfigCheck.finite(layerNormEps, "layer_norm_eps", positive: true)
    }

    public static func load(contentsOf url: URL) throws -> CLIPVisionConfig {
        try ConfigFile.load(CLIPVisionConfig.self, path: url.path, kind: "a vision config.json")
    }
}

/// transformers' CLIPConfig (CLIPModel's config.json): both towers nested, one shared projection size.
/// Old files carry `text_config_dict` / `vision_config_dict`; transformers lets those win, and so do we.
public struct CLIPConfig: Codable, Equatable, Sendable {
    public var textConfig: CLIPTextConfig
    public var visionConfig: CLIPVisionConfig
    public var projectionDim: Int
    public var logitScaleInitValue: Double

    enum CodingKeys: String, CodingKey {
        case textConfig = "text_config", visionConfig = "vision_config", projectionDim = "projection_dim"
        case logitScaleInitValue = "logit_scale_init_value"
    }

    enum LegacyKeys: String, CodingKey {
        case textConfigDict = "text_config_dict", visionConfigDict = "vision_config_dict"
    }

    public init(textConfig: CLIPTextConfig = CLIPTextConfig(), visionConfig: CLIPVisionConfig = CLIPVisionConfig(),
                projectionDim: Int = 512, logitScaleInitValue: Double = 2.6592) {
        self.textConfig = textConfig
        self.visionConfig = visionConfig
        self.projectionDim = projectionDim
        self.logitScaleInitValue = logitScaleInitValue
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let legacy = try decoder.container(keyedBy: LegacyKeys.self)
        textConfig = try legacy.decodeIfPresent(CLIPTextConfig.self, forKey: .textConfigDict)
            ?? c.decodeIfPresent(CLIPTextConfig.self, forKey: .textConfig) ?? CLIPTextConfig()
        visionConfig = try legacy.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfigDict)
            ?? c.decodeIfPresent(CLIPVisionConfig.self, forKey: .visionConfig) ?? CLIPVisionConfig()
        projectionDim = try c.decodeIfPresent(Int.self, forKey: .projectionDim) ?? 512
        logitScaleInitValue = try c.decodeIfPresent(Double.self, forKey: .logitScaleInitValue) ?? 2.6592
        try ConfigCheck.count(projectionDim, "projection_dim", in: 1...65536)
        try ConfigCheck.finite(logitScaleInitValue, "logit_scale_init_value")
    }

    public static func load(contentsOf url: URL) throws -> CLIPConfig {
        try ConfigFile.load(CLIPConfig.self, path: url.path, kind: "a CLIP config.json")
    }
}

private func validateHeads(_ hidden: Int, _ heads: Int) throws {
    try ConfigCheck.count(heads, "num_attention_heads", in: 1...4096)
    guard hidden % heads == 0 else {
        throw CLIPError.invalidConfiguration(
            "hidden_size \(hidden) is not a multiple of num_attention_heads \(heads)")
    }
}

/// eos_token_id may be written as an int or a one-element list.
private func decodeTokenId<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Int? {
    if let value = try? c.decodeIfPresent(Int.self, forKey: key) { return value }
    guard let list = try c.decodeIfPresent([Int].self, forKey: key) else { return nil }
    guard list.count == 1 else {
        throw CLIPError.invalidConfiguration("\(key.stringValue) \(list): CLIP pools at one end token")
    }
    return list[0]
}

/// image_size / patch_size may be written as an int or a square [h, w] pair.
private func decodeSquareSize<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> Int? {
    if let value = try? c.decodeIfPresent(Int.self, forKey: key) { return value }
    guard let pair = try c.decodeIfPresent([Int].self, forKey: key) else { return nil }
    guard pair.count == 2, pair[0] == pair[1] else {
        throw CLIPError.invalidConfiguration("\(key.stringValue) \(pair): only square sizes are supported")
    }
    return pair[0]
}
