import NN
import Torch

/// diffusers' UpDecoderBlock2D: `resnets.M` (no time embedding) then an optional `upsamplers.0`.
public final class UpDecoderBlock2D: Module {
    public let resnets: [ResnetBlock2D]
    public let upsampler: Upsample2D?

    public init(inChannels: Int, outChannels: Int, numLayers: Int, groups: Int, eps: Double = 1e-6,
                addUpsample: Bool, factory: ParameterFactory) throws {
        resnets = try (0..<numLayers).map { i in
            try ResnetBlock2D(inChannels: i == 0 ? inChannels : outChannels, outChannels: outChannels,
                              temembChannels: nil, groups: groups, eps: eps, factory: factory)
        }
        upsampler = addUpsample ? try Upsample2D(channels: outChannels, outChannels: outChannels, factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + (upsampler.map { [("upsamplers.0", $0 as any Module)] } ?? [])
    }

    public func callAsFunction(_ x: Tensor) throws -> Tensor {
        var h = x
        for resnet in resnets { h = try resnet(h, temb: nil) }
        return try upsampler.map { try $0(h) } ?? h
    }
}
