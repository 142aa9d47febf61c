import Foundation
import InputChecks

/// diffusers' `unet/config.json` for UNet2DConditionModel, with the real key names. Defaults are diffusers'
/// constructor defaults. Only the Stable Diffusion 1.x / 2.x family is supported: any other block type or
/// option throws an error naming the key and its value (when decoding and again when a model is built).
///
/// diffusers' naming quirk is kept: `attention_head_dim` is the number of HEADS per block (8 in SD 1.5);
/// each block's head size is its channel count divided by it. `num_attention_heads` must be absent, as
/// diffusers itself refuses it for this model.
public struct UNet2DConditionConfig: Codable, Sendable, Equatable {
    public var sampleSize: Int?
    public var inChannels: Int
    public var outChannels: Int
    public var centerInputSample: Bool
    public var flipSinToCos: Bool
    public var freqShift: Double
    public var downBlockTypes: [String]
    public var midBlockType: String?
    public var upBlockTypes: [String]
    public var onlyCrossAttention: PerBlock<Bool>
    public var blockOutChannels: [Int]
    public var layersPerBlock: PerBlock<Int>
    public var downsamplePadding: Int
    public var midBlockScaleFactor: Double
    public var dropout: Double
    public var actFn: String
    public var normNumGroups: Int?
    public var normEps: Double
    public var crossAttentionDim: PerBlock<Int>
    public var transformerLayersPerBlock: PerBlock<Int>
    /// The number of heads per block (diffusers' name).
    public var attentionHeadDim: PerBlock<Int>
    public var dualCrossAttention: Bool
    public var useLinearProjection: Bool
    public var classEmbedType: String?
    public var upcastAttention: Bool
    public var resnetTimeScaleShift: String
    public var timeEmbeddingType: String
    public var convInKernel: Int
    public var convOutKernel: Int
    public var attentionType: String

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size"
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case centerInputSample = "center_input_sample"
        case flipSinToCos = "flip_sin_to_cos"
        case freqShift = "freq_shift"
        case downBlockTypes = "down_block_types"
        case midBlockType = "mid_block_type"
        case upBlockTypes = "up_block_types"
        case onlyCrossAttention = "only_cross_attention"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case downsamplePadding = "downsample_padding"
        case midBlockScaleFactor = "mid_block_scale_factor"
        case dropout
        case actFn = "act_fn"
        case normNumGroups = "norm_num_groups"
        case normEps = "norm_eps"
        case crossAttentionDim = "cross_attention_dim"
        case transformerLayersPerBlock = "transformer_layers_per_block"
        case attentionHeadDim = "attention_head_dim"
        case dualCrossAttention = "dual_cross_attention"
        case useLinearProjection = "use_linear_projection"
        case classEmbedType = "class_embed_type"
        case upcastAttention = "upcast_attention"
        case resnetTimeScaleShift = "resnet_time_scale_shift"
        case timeEmbeddingType = "time_embedding_type"
        case convInKernel = "conv_in_kernel"
        case convOutKernel = "conv_out_kernel"
        case attentionType = "attention_type"
    }

    public init(sampleSize: Int? = nil, inChannels: Int = 4, outChannels: Int = 4, centerInputSample: Bool = false,
                flipSinToCos: Bool = true, freqShift: Double = 0,
                downBlockTypes: [String] = ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D",
                                            "DownBlock2D"],
                midBlockType: String? = "UNetMidBlock2DCrossAttn",
                upBlockTypes: [String] = ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D",
                                          "CrossAttnUpBlock2D"],
                onlyCrossAttention: PerBlock<Bool> = .shared(false), blockOutChannels: [Int] = [320, 640, 1280, 1280],
                layersPerBlock: PerBlock<Int> = .shared(2), downsamplePadding: Int = 1, midBlockScaleFactor: Double = 1,
                dropout: Double = 0, actFn: String = "silu", normNumGroups: Int? = 32, normEps: Double = 1e-5,
                crossAttentionDim: PerBlock<Int> = .shared(1280), transformerLayersPerBlock: PerBlock<Int> = .shared(1),
                attentionHeadDim: PerBlock<Int> = .shared(8), dualCrossAttention: Bool = false,
                useLinearProjection: Bool = false, classEmbedType: String? = nil, upcastAttention: Bool = false,
                resnetTimeScaleShift: String = "default", timeEmbeddingType: String = "positional",
                convInKernel: Int = 3, convOutKernel: Int = 3, attentionType: String = "default") {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.centerInputSample = centerInputSample
        self.flipSinToCos = flipSinToCos
        self.freqShift = freqShift
        self.downBlockTypes = downBlockTypes
        self.midBlockType = midBlockType
        self.upBlockTypes = upBlockTypes
        self.onlyCrossAttention = onlyCrossAttention
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.downsamplePadding = downsamplePadding
        self.midBlockScaleFactor = midBlockScaleFactor
        self.dropout = dropout
        self.actFn = actFn
        self.normNumGroups = normNumGroups
        self.normEps = normEps
        self.crossAttentionDim = crossAttentionDim
        self.transformerLayersPerBlock = transformerLayersPerBlock
        self.attentionHeadDim = attentionHeadDim
        self.dualCrossAttention = dualCrossAttention
        self.useLinearProjection = useLinearProjection
        self.classEmbedType = classEmbedType
        self.upcastAttention = upcastAttention
        self.resnetTimeScaleShift = resnetTimeScaleShift
        self.timeEmbeddingType = timeEmbeddingType
        self.convInKernel = convInKernel
        self.convOutKernel = convOutKernel
        self.attentionType = attentionType
    }

    /// runwayml/stable-diffusion-v1-5's unet/config.json.
    public static var stableDiffusion15: UNet2DConditionConfig {
        UNet2DConditionConfig(sampleSize: 64, crossAttentionDim: .shared(768))
    }

    /// Reads `unet/config.json` (a regular file, checked before it is opened); every error is a
    /// `ConfigFileError` naming the file and the key.
    public static func load(_ path: String) throws -> UNet2DConditionConfig {
        try ConfigFile.load(UNet2DConditionConfig.self, path: path, kind: "a UNet config.json")
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = UNet2DConditionConfig()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize)
        inChannels = try value(.inChannels, d.inChannels)
        outChannels = try value(.outChannels, d.outChannels)
        centerInputSample = try value(.centerInputSample, d.centerInputSample)
        flipSinToCos = try value(.flipSinToCos, d.flipSinToCos)
        freqShift = try value(.freqShift, d.freqShift)
        downBlockTypes = try value(.downBlockTypes, d.downBlockTypes)
        // An explicit null mid_block_type means "no mid block"; absent means the default.
        midBlockType = try c.contains(.midBlockType) ? c.decodeIfPresent(String.self, forKey: .midBlockType)
            : d.midBlockType
        upBlockTypes = try value(.upBlockTypes, d.upBlockTypes)
        onlyCrossAttention = try value(.onlyCrossAttention, d.onlyCrossAttention)
        blockOutChannels = try value(.blockOutChannels, d.blockOutChannels)
        layersPerBlock = try value(.layersPerBlock, d.layersPerBlock)
        downsamplePadding = try value(.downsamplePadding, d.downsamplePadding)
        midBlockScaleFactor = try value(.midBlockScaleFactor, d.midBlockScaleFactor)
        dropout = try value(.dropout, d.dropout)
        actFn = try value(.actFn, d.actFn)
        normNumGroups = try c.contains(.normNumGroups) ? c.decodeIfPresent(Int.self, forKey: .normNumGroups)
            : d.normNumGroups
        normEps = try value(.normEps, d.normEps)
        crossAttentionDim = try value(.crossAttentionDim, d.crossAttentionDim)
        do {
            transformerLayersPerBlock = try value(.transformerLayersPerBlock, d.transformerLayersPerBlock)
        } catch {
            throw UNetError.unsupported("transformer_layers_per_block", "(nested per-layer lists)")
        }
        attentionHeadDim = try value(.attentionHeadDim, d.attentionHeadDim)
        dualCrossAttention = try value(.dualCrossAttention, d.dualCrossAttention)
        useLinearProjection = try value(.useLinearProjection, d.useLinearProjection)
        classEmbedType = try c.decodeIfPresent(String.self, forKey: .classEmbedType)
        upcastAttention = try value(.upcastAttention, d.upcastAttention)
        resnetTimeScaleShift = try value(.resnetTimeScaleShift, d.resnetTimeScaleShift)
        timeEmbeddingType = try value(.timeEmbeddingType, d.timeEmbeddingType)
        convInKernel = try value(.convInKernel, d.convInKernel)
        convOutKernel = try value(.convOutKernel, d.convOutKernel)
        attentionType = try value(.attentionType, d.attentionType)

        // Options of other UNet families that must keep their "off" value here.
        let others = try decoder.container(keyedBy: AnyKey.self)
        for key in ["num_attention_heads", "reverse_transformer_layers_per_block", "encoder_hid_dim",
                    "encoder_hid_dim_type", "addition_embed_type", "addition_time_embed_dim", "num_class_embeds",
                    "time_embedding_dim", "time_embedding_act_fn", "timestep_post_act", "time_cond_proj_dim",
                    "projection_class_embeddings_input_dim", "cross_attention_norm"] {
            if let v = try others.decodeIfPresent(JSONScalar.self, forKey: AnyKey(key)), v != .null {
                throw UNetError.unsupported(key, v.description)
            }
        }
        for key in ["class_embeddings_concat", "resnet_skip_time_act"] {
            if let v = try others.decodeIfPresent(JSONScalar.self, forKey: AnyKey(key)), v != .null, v != .bool(false) {
                throw UNetError.unsupported(key, v.description)
            }
        }
        try validate()
    }

    /// Throws for every option this implementation does not support, naming the key and value.
    public func validate() throws {
        let n = blockOutChannels.count
        guard n > 0 else { throw UNetError.unsupported("block_out_channels", "[]") }
        // Ranges and meaning first, so that nothing below divides by zero or builds an invalid range.
        guard n <= 16 else { throw ConfigFileError(key: "block_out_channels", "expected 1 to 16 entries, got \(n)") }
        for (i, c) in blockOutChannels.enumerated() { try ConfigCheck.count(c, "block_out_channels[\(i)]", in: 1...65536) }
        try ConfigCheck.count(inChannels, "in_channels", in: 1...65536)
        try ConfigCheck.count(outChannels, "out_channels", in: 1...65536)
        if let sampleSize { try ConfigCheck.count(sampleSize, "sample_size", in: 1...65536) }
        try ConfigCheck.finite(freqShift, "freq_shift")
        try ConfigCheck.finite(midBlockScaleFactor, "mid_block_scale_factor")
        try ConfigCheck.finite(normEps, "norm_eps", positive: true)
        try ConfigCheck.count(downsamplePadding, "downsample_padding", in: 0...64)
        if let groups = normNumGroups { try ConfigCheck.count(groups, "norm_num_groups", in: 1...65536) }
        for (i, l) in try layersPerBlock.values(count: n, key: "layers_per_block").enumerated() {
            try ConfigCheck.count(l, layersPerBlock.isShared ? "layers_per_block" : "layers_per_block[\(i)]", in: 1...64)
        }
        for (i, l) in try transformerLayersPerBlock.values(count: n, key: "transformer_layers_per_block").enumerated() {
            try ConfigCheck.count(l, transformerLayersPerBlock.isShared ? "transformer_layers_per_block"
                                  : "transformer_layers_per_block[\(i)]", in: 1...64)
        }
        for (i, d) in try crossAttentionDim.values(count: n, key: "cross_attention_dim").enumerated() {
            try ConfigCheck.count(d, crossAttentionDim.isShared ? "cross_attention_dim" : "cross_attention_dim[\(i)]",
                                  in: 1...65536)
        }
        for (i, h) in try attentionHeadDim.values(count: n, key: "attention_head_dim").enumerated() {
            try ConfigCheck.count(h, attentionHeadDim.isShared ? "attention_head_dim" : "attention_head_dim[\(i)]",
                                  in: 1...65536)
        }
        guard downBlockTypes.count == n else {
            throw UNetError("unet config: down_block_types has \(downBlockTypes.count) entries, block_out_channels \(n)")
        }
        guard upBlockTypes.count == n else {
            throw UNetError("unet config: up_block_types has \(upBlockTypes.count) entries, block_out_channels \(n)")
        }
        for t in downBlockTypes where !["CrossAttnDownBlock2D", "DownBlock2D"].contains(t) {
            throw UNetError.unsupported("down_block_types", "\"\(t)\"")
        }
        for t in upBlockTypes where !["CrossAttnUpBlock2D", "UpBlock2D"].contains(t) {
            throw UNetError.unsupported("up_block_types", "\"\(t)\"")
        }
        guard midBlockType == "UNetMidBlock2DCrossAttn" else {
            throw UNetError.unsupported("mid_block_type", midBlockType.map { "\"\($0)\"" } ?? "null")
        }
        guard ["silu", "swish"].contains(actFn) else { throw UNetError.unsupported("act_fn", "\"\(actFn)\"") }
        guard let groups = normNumGroups else { throw UNetError.unsupported("norm_num_groups", "null") }
        for c in blockOutChannels where c <= 0 || c % groups != 0 {
            throw UNetError("unet config: block_out_channels \(blockOutChannels) are not divisible by norm_num_groups \(groups)")
        }
        guard dropout == 0 else { throw UNetError.unsupported("dropout", "\(dropout)") }
        guard !dualCrossAttention else { throw UNetError.unsupported("dual_cross_attention", "true") }
        if let classEmbedType { throw UNetError.unsupported("class_embed_type", "\"\(classEmbedType)\"") }
        guard resnetTimeScaleShift == "default" else {
            throw UNetError.unsupported("resnet_time_scale_shift", "\"\(resnetTimeScaleShift)\"")
        }
        guard timeEmbeddingType == "positional" else {
            throw UNetError.unsupported("time_embedding_type", "\"\(timeEmbeddingType)\"")
        }
        guard attentionType == "default" else { throw UNetError.unsupported("attention_type", "\"\(attentionType)\"") }
        guard convInKernel > 0, convInKernel <= 15, convInKernel % 2 == 1 else { throw UNetError.unsupported("conv_in_kernel", "\(convInKernel)") }
        guard convOutKernel > 0, convOutKernel <= 15, convOutKernel % 2 == 1 else {
            throw UNetError.unsupported("conv_out_kernel", "\(convOutKernel)")
        }
        let heads = try attentionHeadDim.values(count: n, key: "attention_head_dim")
        for (i, h) in heads.enumerated() where h <= 0 || blockOutChannels[i] % h != 0 {
            throw UNetError("unet config: attention_head_dim (heads) \(h) does not divide block_out_channels[\(i)] = \(blockOutChannels[i])")
        }
        for l in try layersPerBlock.values(count: n, key: "layers_per_block") where l <= 0 {
            throw UNetError.unsupported("layers_per_block", "\(l)")
        }
        for l in try transformerLayersPerBlock.values(count: n, key: "transformer_layers_per_block") where l <= 0 {
            throw UNetError.unsupported("transformer_layers_per_block", "\(l)")
        }
        _ = try crossAttentionDim.values(count: n, key: "cross_attention_dim")
        _ = try onlyCrossAttention.values(count: n, key: "only_cross_attention")
    }
}

/// Any string key, for the options that are checked but not kept.
private struct AnyKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// A JSON value reduced to what an error message needs.
private enum JSONScalar: Decodable, Equatable, CustomStringConvertible {
    case null, bool(Bool), number(Double), string(String), other

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .other }
    }

    var description: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? "\(Int(d))" : "\(d)"
        case .string(let s): return "\"\(s)\""
        case .other: return "(a list or object)"
        }
    }
}
