import NN
import Torch

/// diffusers' `CrossAttnUpBlock2D`: (resnet on [state, skip], Transformer2DModel) pairs, then an optional
/// upsampler.
public final class CrossAttnUpBlock2D: Module, UNetUpBlock {
    public let resnets: [ResnetBlock2D]
    public let attentions: [Transformer2DModel]
    public let upsampler: Upsample2D?

    public init(inChannels: Int, prevOutputChannels: Int, outChannels: Int, tembChannels: Int, layers: Int,
                transformerLayers: Int, heads: Int, crossAttentionDim: Int, groups: Int, eps: Double,
                addUpsample: Bool, useLinearProjection: Bool, onlyCrossAttention: Bool, name: String, downscale: Int,
                factory: ParameterFactory) throws {
        resnets = try (0..<layers).map { i in
            let skip = i == layers - 1 ? inChannels : outChannels
            let input = i == 0 ? prevOutputChannels : outChannels
            return try ResnetBlock2D(inChannels: input + skip, outChannels: outChannels, temembChannels: tembChannels,
                                     groups: groups, eps: eps, factory: factory)
        }
        attentions = try (0..<layers).map {
            try Transformer2DModel(heads: heads, dimHead: outChannels / heads, inChannels: outChannels,
                                   layers: transformerLayers, crossAttentionDim: crossAttentionDim, normGroups: groups,
                                   useLinearProjection: useLinearProjection, onlyCrossAttention: onlyCrossAttention,
                                   name: "\(name).attentions.\($0)", downscale: downscale, factory: factory)
        }
        upsampler = addUpsample ? try Upsample2D(channels: outChannels, outChannels: outChannels, factory: factory) : nil
    }

    public var children: [(name: String, module: any Module)] {
        resnets.enumerated().map { ("resnets.\($0.offset)", $0.element as any Module) }
            + attentions.enumerated().map { ("attentions.\($0.offset)", $0.element as any Module) }
            + (upsampler.map { [("upsamplers.0", $0 as any Module)] } ?? [])
    }

    var resnetCount: Int { resnets.count }

    func forward(_ x: Tensor, skips: [Tensor], temb: Tensor, encoderHiddenStates: Tensor, upsampleSize: (Int, Int)?,
                 plan: CapturePlan?) throws -> (output: Tensor, captures: [CapturedAttention])
    {
        guard skips.count == resnets.count else {
            throw UNetError("CrossAttnUpBlock2D takes \(resnets.count) skip states, got \(skips.count)")
        }
        var hidden = x
        var captures: [CapturedAttention] = []
        for ((resnet, attention), skip) in zip(zip(resnets, attentions), skips.reversed()) {
            hidden = try resnet(Tensor.cat([hidden, skip], dim: 1), temb: temb)
            let (out, captured) = try attention.forward(hidden, encoderHiddenStates: encoderHiddenStates, plan: plan)
            hidden = out
            captures += captured
        }
        if let upsampler { hidden = try upsampler(hidden, outputSize: upsampleSize) }
        return (hidden, captures)
    }

    /// The plain forward (no capture).
    public func callAsFunction(_ x: Tensor, skips: [Tensor], temb: Tensor, encoderHiddenStates: Tensor,
                               upsampleSize: (Int, Int)? = nil) throws -> Tensor {
        try forward(x, skips: skips, temb: temb, encoderHiddenStates: encoderHiddenStates, upsampleSize: upsampleSize,
                    plan: nil).output
    }
}
