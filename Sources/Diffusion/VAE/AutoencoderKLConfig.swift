import Foundation
import InputChecks

/// diffusers' AutoencoderKL configuration, decoded from a checkpoint's `vae/config.json` with its key names.
/// Keys missing from the file take diffusers 0.42.1's defaults (older SD 1.5 configs lack
/// mid_block_add_attention, use_quant_conv, use_post_quant_conv, shift_factor, force_upcast).
public struct AutoencoderKLConfig: Codable, Equatable, Sendable {
    public var inChannels = 3
    public var outChannels = 3
    public var downBlockTypes = ["DownEncoderBlock2D"]
    public var upBlockTypes = ["UpDecoderBlock2D"]
    public var blockOutChannels = [64]
    public var layersPerBlock = 1
    public var actFn = "silu"
    public var latentChannels = 4
    public var normNumGroups = 32
    /// diffusers allows an [H, W] list; only its first entry is used (as diffusers' tiling does).
    public var sampleSize = 32
    public var scalingFactor = 0.18215
    public var shiftFactor: Double?
    public var latentsMean: [Double]?
    public var latentsStd: [Double]?
    public var forceUpcast = true
    public var useQuantConv = true
    public var usePostQuantConv = true
    public var midBlockAddAttention = true

    enum CodingKeys: String, CodingKey {
        case inChannels = "in_channels"
        case outChannels = "out_channels"
        case downBlockTypes = "down_block_types"
        case upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels"
        case layersPerBlock = "layers_per_block"
        case actFn = "act_fn"
        case latentChannels = "latent_channels"
        case normNumGroups = "norm_num_groups"
        case sampleSize = "sample_size"
        case scalingFactor = "scaling_factor"
        case shiftFactor = "shift_factor"
        case latentsMean = "latents_mean"
        case latentsStd = "latents_std"
        case forceUpcast = "force_upcast"
        case useQuantConv = "use_quant_conv"
        case usePostQuantConv = "use_post_quant_conv"
        case midBlockAddAttention = "mid_block_add_attention"
    }

    public init() {}

    /// Stable Diffusion 1.5's VAE (runwayml/stable-diffusion-v1-5 vae/config.json).
    public static var stableDiffusion15: AutoencoderKLConfig {
        var config = AutoencoderKLConfig()
        config.downBlockTypes = Array(repeating: "DownEncoderBlock2D", count: 4)
        config.upBlockTypes = Array(repeating: "UpDecoderBlock2D", count: 4)
        config.blockOutChannels = [128, 256, 512, 512]
        config.layersPerBlock = 2
        config.sampleSize = 512
        return config
    }

    public init(from decoder: any Swift.Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        let defaults = AutoencoderKLConfig()
        inChannels = try value(.inChannels, defaults.inChannels)
        outChannels = try value(.outChannels, defaults.outChannels)
        downBlockTypes = try value(.downBlockTypes, defaults.downBlockTypes)
        upBlockTypes = try value(.upBlockTypes, defaults.upBlockTypes)
        blockOutChannels = try value(.blockOutChannels, defaults.blockOutChannels)
        layersPerBlock = try value(.layersPerBlock, defaults.layersPerBlock)
        actFn = try value(.actFn, defaults.actFn)
        latentChannels = try value(.latentChannels, defaults.latentChannels)
        normNumGroups = try value(.normNumGroups, defaults.normNumGroups)
        if let sizes = try? c.decodeIfPresent([Int].self, forKey: .sampleSize) {
            guard let first = sizes.first else {
                throw ConfigFileError(key: "sample_size", "expected an integer or a non-empty [height, width] list, got []")
            }
            sampleSize = first
        } else {
            sampleSize = try value(.sampleSize, defaults.sampleSize)
        }
        scalingFactor = try value(.scalingFactor, defaults.scalingFactor)
        shiftFactor = try c.decodeIfPresent(Double.self, forKey: .shiftFactor)
        latentsMean = try c.decodeIfPresent([Double].self, forKey: .latentsMean)
        latentsStd = try c.decodeIfPresent([Double].self, forKey: .latentsStd)
        forceUpcast = try value(.forceUpcast, defaults.forceUpcast)
        useQuantConv = try value(.useQuantConv, defaults.useQuantConv)
        usePostQuantConv = try value(.usePostQuantConv, defaults.usePostQuantConv)
        midBlockAddAttention = try value(.midBlockAddAttention, defaults.midBlockAddAttention)
    }

    /// Reads a diffusers `config.json` (a regular file, checked before it is opened) and validates it; every
    /// error is a `ConfigFileError` naming the file and the key.
    public static func load(_ path: String) throws -> AutoencoderKLConfig {
        let config = try ConfigFile.load(AutoencoderKLConfig.self, path: path, kind: "a VAE config.json")
        do {
            try config.validate()
        } catch let error as ConfigFileError {
            throw error.inFile(path)
        } catch {
            throw ConfigFileError(file: path, "\(error)")
        }
        return config
    }

    /// Checks what the model builder relies on, so that a bad config is an error before any weights exist.
    public func validate() throws {
        if let bad = downBlockTypes.first(where: { $0 != "DownEncoderBlock2D" }) {
            throw AutoencoderKLError.unsupportedBlockType(bad)
        }
        if let bad = upBlockTypes.first(where: { $0 != "UpDecoderBlock2D" }) {
            throw AutoencoderKLError.unsupportedBlockType(bad)
        }
        // diffusers' get_activation maps "swish" and "silu" to the same function.
        guard actFn == "silu" || actFn == "swish" else { throw AutoencoderKLError.unsupportedActivation(actFn) }
        guard !blockOutChannels.isEmpty, downBlockTypes.count == blockOutChannels.count,
              upBlockTypes.count == blockOutChannels.count
        else {
            throw AutoencoderKLError.invalidConfiguration(
                "down_block_types (\(downBlockTypes.count)), up_block_types (\(upBlockTypes.count)) and "
                    + "block_out_channels (\(blockOutChannels.count)) must have the same non-zero length")
        }
        guard blockOutChannels.count <= 16 else {
            throw ConfigFileError(key: "block_out_channels", "expected 1 to 16 entries, got \(blockOutChannels.count)")
        }
        for (i, c) in blockOutChannels.enumerated() { try ConfigCheck.count(c, "block_out_channels[\(i)]", in: 1...65536) }
        try ConfigCheck.count(inChannels, "in_channels", in: 1...65536)
        try ConfigCheck.count(outChannels, "out_channels", in: 1...65536)
        try ConfigCheck.count(latentChannels, "latent_channels", in: 1...65536)
        try ConfigCheck.count(layersPerBlock, "layers_per_block", in: 1...64)
        try ConfigCheck.count(normNumGroups, "norm_num_groups", in: 1...65536)
        try ConfigCheck.count(sampleSize, "sample_size", in: 1...65536)
        // The latents are divided by it: 0 gives infinities and black images.
        try ConfigCheck.finite(scalingFactor, "scaling_factor", positive: true)
        if let shiftFactor { try ConfigCheck.finite(shiftFactor, "shift_factor") }
        for (i, v) in (latentsMean ?? []).enumerated() { try ConfigCheck.finite(v, "latents_mean[\(i)]") }
        for (i, v) in (latentsStd ?? []).enumerated() { try ConfigCheck.finite(v, "latents_std[\(i)]", positive: true) }
        if let bad = blockOutChannels.first(where: { $0 <= 0 || $0 % normNumGroups != 0 }) {
            throw AutoencoderKLError.invalidConfiguration(
                "block_out_channels entry \(bad) is not a positive multiple of norm_num_groups \(normNumGroups)")
        }
    }
}
