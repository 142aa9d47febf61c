import NN
import Torch

/// diffusers' DownEncoderBlock2D: `resnets.M` (no time embedding) then an optional `downsamplers.0`.
public final class DownEncoderBlock2D: Module {
    public let resnets: [ResnetBlock2D]
    public let downsampler: Downsample2D?

    public init(inChannels: Int, outChannels: Int, numLayers: Int, groups: Int, eps: Double = 1e-6,
                addDownsample: Bool, downsamplePadding: Int, factory: ParameterFactory) throws {
        resnets = try (0..<numLayers).map { i in
            try ResnetBlock2D(inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels,
                              temembChannels: nil, groups: groups, eps: eps, factory: factory)
        }
        downsampler = addDownsample
            ? try Downsample2D(channels: outChannels, outChannels: outChannels, padding: downsamplePadding,
                               factory: factory)
            : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + (downsampler.map { [("downsamplers.0", $0 as any Module)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h, temb: nil) }
        return try downsampler.map { try $0(h) } ?? h
    }
}
