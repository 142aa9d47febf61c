import NN
import Torch

/// diffusers' Downsample2D with a convolution (use_conv=True): 3x3, stride 2. With padding 0 the input is
/// first padded by one zero row and column at the bottom/right, as the VAE encoder does (padding=0);
/// the UNet uses padding 1.
public final class Downsample2D: Module {
    public let conv: Conv2d
    public let channels: Int
    public let padding: Int

    public init(channels: Int, outChannels: Int? = nil, padding: Int = 1, factory: ParameterFactory) throws {
        guard padding >= 0 else { throw BlockError("Downsample2D", "padding must be >= 0, got \(padding)") }
        conv = try Conv2d(channels, outChannels ?? channels, kernelSize: 3, stride: 2, padding: padding,
                          factory: factory)
        self.channels = channels
        self.padding = padding
    }

    public var children: [(name: String, module: any Module)] { [("conv", conv)] }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        guard x.ndim == 4, x.shape[1] == channels else {
            throw BlockError("Downsample2D", "expected input [B, \(channels), H, W], got \(x.shape)")
        }
        return try conv(padding == 0 ? x.pad([0, 1, 0, 1]) : x)
    }
}
