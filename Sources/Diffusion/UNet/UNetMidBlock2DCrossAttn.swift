import NN
import Torch

/// diffusers' `UNetMidBlock2DCrossAttn`: resnets.0, then (attentions.i, resnets.i+1) pairs.
public final class UNetMidBlock2DCrossAttn: Module {
    public let resnets: [ResnetBlock2D]
    public let attentions: [Transformer2DModel]

    public init(channels: Int, tembChannels: Int, transformerLayers: Int, heads: Int, crossAttentionDim: Int,
                groups: Int, eps: Double, outputScaleFactor: Double, useLinearProjection: Bool, name: String = "mid_block",
                downscale: Int, factory: ParameterFactory) throws {
        resnets = try (0..<2).map { _ in
            try ResnetBlock2D(inChannels: channels, outChannels: channels, temembChannels: tembChannels,
                              groups: groups, eps: eps, outputScaleFactor: outputScaleFactor, factory: factory)
        }
        attentions = [
            try Transformer2DModel(heads: heads, dimHead: channels / heads, inChannels: channels,
                                   layers: transformerLayers, crossAttentionDim: crossAttentionDim, normGroups: groups,
                                   useLinearProjection: useLinearProjection, name: "\(name).attentions.0",
                                   downscale: downscale, factory: factory),
        ]
    }

    public var children: [(name: String, module: any Module)] {
        attentions.enumerated().map { ("attentions.\($0.offset)", $0.element as any Module) }
            + resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
    }

    func forward(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor, plan: CapturePlan?) throws
        -> (output: Tensor, captures: [CapturedAttention])
    {
        var hidden = try resnets[0](x, temb: temb)
        var captures: [CapturedAttention] = []
        for (attention, resnet) in zip(attentions, resnets.dropFirst()) {
            let (out, captured) = try attention.forward(hidden, encoderHiddenStates: encoderHiddenStates, plan: plan)
            captures += captured
            hidden = try resnet(out, temb: temb)
        }
        return (hidden, captures)
    }

    /// The plain forward (no capture).
    public func callAsFunction(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor) throws -> Tensor {
        try forward(x, temb: temb, encoderHiddenStates: encoderHiddenStates, plan: nil).output
    }
}
