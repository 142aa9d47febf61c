import NN
import Torch

/// diffusers' ResnetBlock2D with the settings SD 1.5's UNet and VAE use: pre-norm, SiLU, "default" time
/// embedding (added after conv1), dropout 0, a 1x1 `conv_shortcut` when the channel count changes.
public final class ResnetBlock2D: Module {
    public let norm1: GroupNorm
    public let conv1: Conv2d
    public let timeEmbProj: Linear?
    public let norm2: GroupNorm
    public let conv2: Conv2d
    public let convShortcut: Conv2d?
    public let inChannels: Int
    public let outChannels: Int
    public let outputScaleFactor: Double

    public init(inChannels: Int, outChannels: Int, temembChannels: Int?, groups: Int = 32, groupsOut: Int? = nil,
                eps: Double = 1e-6, outputScaleFactor: Double = 1, factory: ParameterFactory) throws {
        guard inChannels > 0, outChannels > 0 else {
            throw BlockError("ResnetBlock2D", "channels must be positive, got \(inChannels) -> \(outChannels)")
        }
        guard outputScaleFactor != 0 else { throw BlockError("ResnetBlock2D", "output_scale_factor must not be 0") }
        norm1 = try GroupNorm(groups: groups, channels: inChannels, eps: eps, factory: factory)
        conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1, factory: factory)
        timeEmbProj = try temembChannels.map { try Linear($0, outChannels, factory: factory) }
        norm2 = try GroupNorm(groups: groupsOut ?? groups, channels: outChannels, eps: eps, factory: factory)
        conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, factory: factory)
        convShortcut = inChannels != outChannels
            ? try Conv2d(inChannels, outChannels, kernelSize: 1, factory: factory) : nil
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.outputScaleFactor = outputScaleFactor
    }

    public var children: [(name: String, module: any Module)] {
        var list: [(name: String, module: any Module)] = [("norm1", norm1), ("conv1", conv1)]
        if let timeEmbProj { list.append(("time_emb_proj", timeEmbProj)) }
        list += [("norm2", norm2), ("conv2", conv2)]
        if let convShortcut { list.append(("conv_shortcut", convShortcut)) }
        return list
    }

    /// x: [B, in, H, W]; temb: [B, temb_channels] (ignored by a block built without `time_emb_proj`, as in
    /// diffusers, where the VAE passes none).
    public func callAsFunction(_ x: Tensor, temb: Tensor?) throws -> Tensor {
        guard x.ndim == 4, x.shape[1] == inChannels else {
            throw BlockError("ResnetBlock2D", "expected input [B, \(inChannels), H, W], got \(x.shape)")
        }
        var h = try conv1(norm1(x).silu())
        if let timeEmbProj, let temb {
            h = try h + timeEmbProj(temb.silu()).unsqueeze(dim: -1).unsqueeze(dim: -1)
        }
        h = try conv2(norm2(h).silu())
        let shortcut = try convShortcut.map { try $0(x) } ?? x
        let sum = try shortcut + h
        return outputScaleFactor == 1 ? sum : try sum / outputScaleFactor
    }
}
