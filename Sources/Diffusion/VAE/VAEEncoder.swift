import NN
import Torch

/// diffusers' vae.Encoder (named VAEEncoder here: a type named `Encoder`/`Decoder` would shadow Swift's
/// Codable protocols in this module). Outputs 2 * latent_channels (mean and log-variance).
public final class VAEEncoder: Module {
    public let convIn: Conv2d
    public let downBlocks: [DownEncoderBlock2D]
    public let midBlock: UNetMidBlock2D
    public let convNormOut: GroupNorm
    public let convOut: Conv2d
    public let inChannels: Int
    /// Recompute each down block and the mid block in backward instead of keeping their activations
    /// (diffusers' gradient_checkpointing; only while gradients are recorded).
    public var gradientCheckpointing = false

    public init(_ config: AutoencoderKLConfig, factory: ParameterFactory) throws {
        try config.validate()
        let channels = config.blockOutChannels
        let groups = config.normNumGroups
        convIn = try Conv2d(config.inChannels, channels[0], kernelSize: 3, padding: 1, factory: factory)
        downBlocks = try channels.indices.map { i in
            try DownEncoderBlock2D(inChannels: channels[max(i - 1, 0)], outChannels: channels[i],
                                   numLayers: config.layersPerBlock, groups: groups,
                                   addDownsample: i < channels.count - 1, downsamplePadding: 0, factory: factory)
        }
        midBlock = try UNetMidBlock2D(channels: channels.last!, groups: groups,
                                      addAttention: config.midBlockAddAttention, factory: factory)
        convNormOut = try GroupNorm(groups: groups, channels: channels.last!, eps: 1e-6, factory: factory)
        convOut = try Conv2d(channels.last!, 2 * config.latentChannels, kernelSize: 3, padding: 1, factory: factory)
        inChannels = config.inChannels
    }

    public var children: [(name: String, module: any Module)] {
        [("conv_in", convIn)]
            + downBlocks.enumerated().map { ("down_blocks.\($0.offset)", $0.element as any Module) }
            + [("mid_block", midBlock), ("conv_norm_out", convNormOut), ("conv_out", convOut)]
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.ndim == 4, x.shape[1] == inChannels else {
            throw AutoencoderKLError.invalidInput("encoder expects images [B, \(inChannels), H, W], got \(x.shape)")
        }
        var h = try convIn(x)
        for block in downBlocks { h = try vaeBlockCheckpoint(gradientCheckpointing, h) { try block($0) } }
        h = try vaeBlockCheckpoint(gradientCheckpointing, h) { [midBlock] in try midBlock($0) }
        return try convOut(convNormOut(h).silu())
    }
}

/// Runs `body(x)` under `Tensor.checkpoint` when asked to (and gradients are being recorded).
func vaeBlockCheckpoint(_ enabled: Bool, _ x: Tensor, _ body: @escaping (Tensor) throws -> Tensor) throws -> Tensor {
    guard enabled, Tensor.isGradEnabled else { return try body(x) }
    return try Tensor.checkpoint([x]) { [try body($0[0])] }[0]
}
