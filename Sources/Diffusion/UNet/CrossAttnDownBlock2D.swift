import NN
import Torch

/// diffusers' `CrossAttnDownBlock2D`: (resnet, Transformer2DModel) pairs, then an optional downsampler.
public final class CrossAttnDownBlock2D: Module, UNetDownBlock {
    public let resnets: [ResnetBlock2D]
    public let attentions: [Transformer2DModel]
    public let downsampler: Downsample2D?

    /// `name`: the block's full name ("down_blocks.N"); `downscale`: it runs at 1/downscale of the latent size.
    public init(inChannels: Int, outChannels: Int, tembChannels: Int, layers: Int, transformerLayers: Int,
                heads: Int, crossAttentionDim: Int, groups: Int, eps: Double, addDownsample: Bool,
                downsamplePadding: Int, useLinearProjection: Bool, onlyCrossAttention: Bool, name: String,
                downscale: Int, factory: ParameterFactory) throws {
        resnets = try (0..<layers).map {
            try ResnetBlock2D(inChannels: $0 == 0 ? inChannels : outChannels, outChannels: outChannels,
                              temembChannels: tembChannels, groups: groups, eps: eps, factory: factory)
        }
        attentions = try (0..<layers).map {
            try Transformer2DModel(heads: heads, dimHead: outChannels / heads, inChannels: outChannels,
                                   layers: transformerLayers, crossAttentionDim: crossAttentionDim, normGroups: groups,
                                   useLinearProjection: useLinearProjection, onlyCrossAttention: onlyCrossAttention,
                                   name: "\(name).attentions.\($0)", downscale: downscale, factory: factory)
        }
        downsampler = addDownsample
            ? try Downsample2D(channels: outChannels, outChannels: outChannels, padding: downsamplePadding,
                               factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + attentions.enumerated().map { ("attentions.\($0.offset)", $0.element as any Module) }
            + (downsampler.map { [("downsamplers.0", $0 as any Module)] } ?? [])
    }

    func forward(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor, plan: CapturePlan?) throws
        -> (output: Tensor, skips: [Tensor], captures: [CapturedAttention])
    {
        var hidden = x
        var skips: [Tensor] = []
        var captures: [CapturedAttention] = []
        for (resnet, attention) in zip(resnets, attentions) {
            hidden = try resnet(hidden, temb: temb)
            let (out, captured) = try attention.forward(hidden, encoderHiddenStates: encoderHiddenStates, plan: plan)
            hidden = out
            captures += captured
            skips.append(hidden)
        }
        if let downsampler {
            hidden = try downsampler(hidden)
            skips.append(hidden)
        }
        return (hidden, skips, captures)
    }

    /// The plain forward (no capture): output and skip states.
    public func callAsFunction(_ x: Tensor, temb: Tensor, encoderHiddenStates: Tensor) throws
        -> (output: Tensor, skips: [Tensor])
    {
        let result = try forward(x, temb: temb, encoderHiddenStates: encoderHiddenStates, plan: nil)
        return (result.output, result.skips)
    }
}
