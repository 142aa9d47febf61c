import NN
import Torch

/// diffusers' AutoencoderKL (the Stable Diffusion VAE) with its checkpoint names: `encoder`, `decoder`,
/// `quant_conv`, `post_quant_conv`. No tiling or slicing: SD 1.5 training works at 512 px.
public final class AutoencoderKL: Module {
    public let config: AutoencoderKLConfig
    public let encoder: VAEEncoder
    public let decoder: VAEDecoder
    public let quantConv: Conv2d?
    public let postQuantConv: Conv2d?

    public init(_ config: AutoencoderKLConfig, factory: ParameterFactory) throws {
        try config.validate()
        self.config = config
        encoder = try VAEEncoder(config, factory: factory)
        decoder = try VAEDecoder(config, factory: factory)
        let latent = config.latentChannels
        quantConv = config.useQuantConv ? try Conv2d(2 * latent, 2 * latent, kernelSize: 1, factory: factory) : nil
        postQuantConv = config.usePostQuantConv ? try Conv2d(latent, latent, kernelSize: 1, factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("encoder", encoder), ("decoder", decoder)]
        if let quantConv { list.append(("quant_conv", quantConv)) }
        if let postQuantConv { list.append(("post_quant_conv", postQuantConv)) }
        return list
    }

    /// Gradient checkpointing of every encoder and decoder block (diffusers' enable_gradient_checkpointing).
    public var gradientCheckpointing: Bool {
        get { encoder.gradientCheckpointing && decoder.gradientCheckpointing }
        set {
            encoder.gradientCheckpointing = newValue
            decoder.gradientCheckpointing = newValue
        }
    }

    /// Images [B, in_channels, H, W] in [-1, 1] to the latent posterior (unscaled: multiply a sample by
    /// `config.scalingFactor` for the UNet).
    public func encode(_ x: Tensor) throws -> DiagonalGaussianDistribution {
        let h = try encoder(x)
        return try DiagonalGaussianDistribution(quantConv.map { try $0(h) } ?? h)
    }

    /// Unscaled latents [B, latent_channels, h, w] to images (divide UNet latents by `config.scalingFactor`
    /// first).
    public func decode(_ z: Tensor) throws -> Tensor {
        guard z.ndim == 4, z.shape[1] == config.latentChannels else {
            throw AutoencoderKLError.invalidInput("decode expects latents [B, \(config.latentChannels), h, w], got \(z.shape)")
        }
        return try decoder(postQuantConv.map { try $0(z) } ?? z)
    }
}
