import NN
import Torch

/// diffusers' vae.Decoder with group normalization (see VAEEncoder for the name): latents
/// [B, latent_channels, h, w] to images [B, out_channels, h * 2^(n-1), w * 2^(n-1)].
public final class VAEDecoder: Module {
    public let convIn: Conv2d
    public let midBlock: UNetMidBlock2D
    public let upBlocks: [UpDecoderBlock2D]
    public let convNormOut: GroupNorm
    public let convOut: Conv2d
    public let latentChannels: Int
    /// Recompute the mid block and each up block in backward instead of keeping their activations
    /// (diffusers' gradient_checkpointing; used when a loss on decoded images trains the UNet).
    public var gradientCheckpointing = false

    public init(_ config: AutoencoderKLConfig, factory: ParameterFactory) throws {
        try config.validate()
        let channels = config.blockOutChannels
        let reversed = Array(channels.reversed())
        let groups = config.normNumGroups
        convIn = try Conv2d(config.latentChannels, channels.last!, kernelSize: 3, padding: 1, factory: factory)
        midBlock = try UNetMidBlock2D(channels: channels.last!, groups: groups,
                                      addAttention: config.midBlockAddAttention, factory: factory)
        upBlocks = try reversed.indices.map { i in
            try UpDecoderBlock2D(inChannels: reversed[max(i - 1, 0)], outChannels: reversed[i],
                                 numLayers: config.layersPerBlock + 1, groups: groups,
                                 addUpsample: i < reversed.count - 1, factory: factory)
        }
        convNormOut = try GroupNorm(groups: groups, channels: channels[0], eps: 1e-6, factory: factory)
        convOut = try Conv2d(channels[0], config.outChannels, kernelSize: 3, padding: 1, factory: factory)
        latentChannels = config.latentChannels
    }

    public var children: [(name: String, module: any Module)] {
        [("conv_in", convIn), ("mid_block", midBlock)]
            + upBlocks.enumerated().map { ("up_blocks.\($0.offset)", $0.element as any Module) }
            + [("conv_norm_out", convNormOut), ("conv_out", convOut)]
    }

    public func callAsFunction(_ z: Tensor) throws -> Tensor {
        guard z.ndim == 4, z.shape[1] == latentChannels else {
            throw AutoencoderKLError.invalidInput("decoder expects latents [B, \(latentChannels), h, w], got \(z.shape)")
        }
        var h = try convIn(z)
        h = try vaeBlockCheckpoint(gradientCheckpointing, h) { [midBlock] in try midBlock($0) }
        for block in upBlocks { h = try vaeBlockCheckpoint(gradientCheckpointing, h) { try block($0) } }
        return try convOut(convNormOut(h).silu())
    }
}
