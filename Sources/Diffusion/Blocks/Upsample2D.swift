import NN
import Torch

/// diffusers' Upsample2D with a convolution (use_conv=True): nearest-neighbour x2 (or to `outputSize`,
/// which the UNet passes when a skip connection has an odd size), then a 3x3 convolution.
public final class Upsample2D: Module {
    public let conv: Conv2d
    public let channels: Int

    public init(channels: Int, outChannels: Int? = nil, factory: ParameterFactory) throws {
        conv = try Conv2d(channels, outChannels ?? channels, kernelSize: 3, padding: 1, factory: factory)
        self.channels = channels
    }

    public var children: [(name: String, module: any Module)] { [("conv", conv)] }

    public func callAsFunction(_ x: Tensor, outputSize: (Int, Int)? = nil) throws -> Tensor {
        guard x.ndim == 4, x.shape[1] == channels else {
            throw BlockError("Upsample2D", "expected input [B, \(channels), H, W], got \(x.shape)")
        }
        let upsampled = if let outputSize {
            try x.interpolate(size: outputSize, mode: .nearest)
        } else {
            try x.interpolate(scaleFactor: 2, mode: .nearest)
        }
        return try conv(upsampled)
    }
}
