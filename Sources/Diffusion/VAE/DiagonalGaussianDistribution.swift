import Torch

/// diffusers' DiagonalGaussianDistribution over the encoder's [B, 2 * latent, h, w] output: the first half
/// of the channels is the mean, the second the log-variance, clamped to [-30, 20].
public struct DiagonalGaussianDistribution {
    public let parameters: Tensor
    public let mean: Tensor
    public let logvar: Tensor
    public let std: Tensor
    public let variance: Tensor

    public init(_ parameters: Tensor) throws {
        guard parameters.ndim >= 2, parameters.shape[1] % 2 == 0 else {
            throw AutoencoderKLError.invalidInput("posterior parameters need an even channel count, got \(parameters.shape)")
        }
        let halves = try parameters.chunk(2, dim: 1)
        self.parameters = parameters
        mean = halves[0]
        logvar = try halves[1].clamp(min: -30, max: 20)
        std = try (logvar * 0.5).exp()
        variance = try logvar.exp()
    }

    /// mean + std * noise, the noise drawn like diffusers' randn_tensor: torch.randn of the mean's shape and
    /// dtype on the generator's device, then moved to the mean's device.
    public func sample(generator: Generator? = nil) throws -> Tensor {
        let noise = try Tensor.randn(mean.shape, dtype: parameters.dtype, device: generator?.device ?? mean.device,
                                     generator: generator).to(mean.device)
        return try mean + std * noise
    }

    public func mode() -> Tensor { mean }

    /// KL divergence to the standard normal, summed over [1, 2, 3] (diffusers' kl() without `other`).
    public func kl() throws -> Tensor {
        try (mean.square() + variance - 1 - logvar).sum(dims: [1, 2, 3]) * 0.5
    }
}
