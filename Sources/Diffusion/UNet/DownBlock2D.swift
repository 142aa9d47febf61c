import NN
import Torch

/// diffusers' `DownBlock2D`: resnets, then an optional strided-conv downsampler; every output is a skip state.
public final class DownBlock2D: Module, UNetDownBlock {
    public let resnets: [ResnetBlock2D]
    public let downsampler: Downsample2D?

    public init(inChannels: Int, outChannels: Int, tembChannels: Int, layers: Int, groups: Int, eps: Double,
                addDownsample: Bool, downsamplePadding: Int, factory: ParameterFactory) throws {
        resnets = try (0..<layers).map {
            try ResnetBlock2D(inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
                              temembChannels: tembChannels, groups: groups, eps: eps, factory: factory)
        }
        downsampler = addDownsample
            ? try Downsample2D(channels: outChannels, outChannels: outChannels, padding: downsamplePadding,
                               factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + (downsampler.map { [("downsamplers.0", $0 as any Module)] } ?? [])
    }

    func forward(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor, plan: CapturePlan?) throws
        -> (output: Tensor, skips: [Tensor], captures: [CapturedAttention])
    {
        let (output, skips) = try callAsFunction(x, temb: temb)
        return (output, skips, [])
    }

    public func callAsFunction(_ x: Tensor, temb: Tensor) throws -> (output: Tensor, skips: [Tensor]) {
        var hidden = x
        var skips: [Tensor] = []
        for resnet in resnets {
            hidden = try resnet(hidden, temb: temb)
            skips.append(hidden)
        }
        if let downsampler {
            hidden = try downsampler(hidden)
            skips.append(hidden)
        }
        return (hidden, skips)
    }
}
