import Foundation
import NN
import Torch

/// diffusers' `Timesteps` (get_timestep_embedding): sinusoidal features of the timesteps, always float32,
/// op for op as diffusers computes them so the features match bit for bit.
public struct Timesteps: Sendable {
    public let channels: Int
    public let flipSinToCos: Bool
    public let downscaleFreqShift: Double

    public init(channels: Int, flipSinToCos: Bool, downscaleFreqShift: Double) {
        self.channels = channels
        self.flipSinToCos = flipSinToCos
        self.downscaleFreqShift = downscaleFreqShift
    }

    /// `timesteps`: [N] (any numeric dtype) -> [N, channels] float32.
    public func callAsFunction(_ timesteps: Tensor) throws -> Tensor {
        guard timesteps.ndim == 1 else {
            throw UNetError("Timesteps expects a 1-D tensor of timesteps, got shape \(timesteps.shape)")
        }
        let half = channels / 2
        let exponent = try Tensor.arange(0, Double(half), dtype: .float32, device: timesteps.device)
            * -Foundation.log(10000.0) / (Double(half) - downscaleFreqShift)
        let frequencies = try exponent.exp()
        let arguments = try timesteps.to(.float32).unsqueeze(dim: 1) * frequencies.unsqueeze(dim: 0)
        let (first, second) = flipSinToCos ? (try arguments.cos(), try arguments.sin())
            : (try arguments.sin(), try arguments.cos())
        let embedding = try Tensor.cat([first, second], dim: -1)
        return channels % 2 == 1 ? try embedding.pad([0, 1, 0, 0]) : embedding
    }
}

/// diffusers' `TimestepEmbedding`: linear_1 -> SiLU -> linear_2.
public final class TimestepEmbedding: Module {
    public let linear1: Linear
    public let linear2: Linear

    public init(inChannels: Int, timeEmbedDim: Int, factory: ParameterFactory) throws {
        linear1 = try Linear(inChannels, timeEmbedDim, factory: factory)
        linear2 = try Linear(timeEmbedDim, timeEmbedDim, factory: factory)
    }

    public var children: [(name: String, module: any Module)] { [("linear_1", linear1), ("linear_2", linear2)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        try linear2(linear1(x).silu())
    }
}
