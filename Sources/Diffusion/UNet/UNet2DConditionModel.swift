import NN
import Torch

/// diffusers' `UNet2DConditionModel` for the Stable Diffusion 1.x/2.x family, with diffusers' parameter names,
/// and cross-attention capture as an explicit output of the forward call (SPF's alignment losses read it).
public final class UNet2DConditionModel: Module {
    public let config: UNet2DConditionConfig
    public let convIn: Conv2d
    public let timeProj: Timesteps
    public let timeEmbedding: TimestepEmbedding
    public let downBlocks: [any Module]
    public let midBlock: UNetMidBlock2DCrossAttn
    public let upBlocks: [any Module]
    public let convNormOut: GroupNorm
    public let convOut: Conv2d
    /// Run each down, mid and up block under `Tensor.checkpoint` when gradients are recorded.
    public var gradientCheckpointing = false

    private let downPath: [any UNetDownBlock]
    private let upPath: [any UNetUpBlock]
    /// Every attn2 layer: its name and the latent fraction (1/downscale) it runs at, in forward order.
    public let crossAttentionLayers: [(name: String, downscale: Int)]

    public init(_ config: UNet2DConditionConfig, factory: ParameterFactory) throws {
        try config.validate()
        self.config = config
        let n = config.blockOutChannels.count
        let channels = config.blockOutChannels
        let heads = try config.attentionHeadDim.values(count: n, key: "attention_head_dim")
        let layers = try config.layersPerBlock.values(count: n, key: "layers_per_block")
        let crossDims = try config.crossAttentionDim.values(count: n, key: "cross_attention_dim")
        let transformerLayers = try config.transformerLayersPerBlock.values(count: n,
                                                                            key: "transformer_layers_per_block")
        let onlyCross = try config.onlyCrossAttention.values(count: n, key: "only_cross_attention")
        let groups = config.normNumGroups ?? 32
        let eps = config.normEps
        let tembChannels = channels[0] * 4

        convIn = try Conv2d(config.inChannels, channels[0], kernelSize: config.convInKernel,
                            padding: (config.convInKernel - 1) / 2, factory: factory)
        timeProj = Timesteps(channels: channels[0], flipSinToCos: config.flipSinToCos,
                             downscaleFreqShift: config.freqShift)
        timeEmbedding = try TimestepEmbedding(inChannels: channels[0], timeEmbedDim: tembChannels, factory: factory)

        var down: [any UNetDownBlock] = []
        var output = channels[0]
        for (i, type) in config.downBlockTypes.enumerated() {
            let input = output
            output = channels[i]
            let last = i == n - 1
            if type == "CrossAttnDownBlock2D" {
                down.append(try CrossAttnDownBlock2D(
                    inChannels: input, outChannels: output, tembChannels: tembChannels, layers: layers[i],
                    transformerLayers: transformerLayers[i], heads: heads[i], crossAttentionDim: crossDims[i],
                    groups: groups, eps: eps, addDownsample: !last, downsamplePadding: config.downsamplePadding,
                    useLinearProjection: config.useLinearProjection, onlyCrossAttention: onlyCross[i],
                    name: "down_blocks.\(i)", downscale: 1 << i, factory: factory))
            } else {
                down.append(try DownBlock2D(
                    inChannels: input, outChannels: output, tembChannels: tembChannels, layers: layers[i],
                    groups: groups, eps: eps, addDownsample: !last, downsamplePadding: config.downsamplePadding,
                    factory: factory))
            }
        }
        midBlock = try UNetMidBlock2DCrossAttn(
            channels: channels[n - 1], tembChannels: tembChannels, transformerLayers: transformerLayers[n - 1],
            heads: heads[n - 1], crossAttentionDim: crossDims[n - 1], groups: groups, eps: eps,
            outputScaleFactor: config.midBlockScaleFactor, useLinearProjection: config.useLinearProjection,
            downscale: 1 << (n - 1), factory: factory)

        // The up path mirrors the down path: reversed heads, layers (+1 for the downsampler's skip), cross dims,
        // transformer layers and only_cross_attention, as diffusers builds it.
        var up: [any UNetUpBlock] = []
        let reversedChannels = Array(channels.reversed())
        output = reversedChannels[0]
        for (i, type) in config.upBlockTypes.enumerated() {
            let last = i == n - 1
            let previous = output
            output = reversedChannels[i]
            let input = reversedChannels[min(i + 1, n - 1)]
            let r = n - 1 - i
            if type == "CrossAttnUpBlock2D" {
                up.append(try CrossAttnUpBlock2D(
                    inChannels: input, prevOutputChannels: previous, outChannels: output, tembChannels: tembChannels,
                    layers: layers[r] + 1, transformerLayers: transformerLayers[r], heads: heads[r],
                    crossAttentionDim: crossDims[r], groups: groups, eps: eps, addUpsample: !last,
                    useLinearProjection: config.useLinearProjection, onlyCrossAttention: onlyCross[r],
                    name: "up_blocks.\(i)", downscale: 1 << r, factory: factory))
            } else {
                up.append(try UpBlock2D(
                    inChannels: input, prevOutputChannels: previous, outChannels: output, tembChannels: tembChannels,
                    layers: layers[r] + 1, groups: groups, eps: eps, addUpsample: !last, factory: factory))
            }
        }
        convNormOut = try GroupNorm(groups: groups, channels: channels[0], eps: eps, factory: factory)
        convOut = try Conv2d(channels[0], config.outChannels, kernelSize: config.convOutKernel,
                             padding: (config.convOutKernel - 1) / 2, factory: factory)
        downPath = down
        upPath = up
        downBlocks = down
        upBlocks = up

        var attn2: [(name: String, downscale: Int)] = []
        let transformers = down.flatMap { ($0 as? CrossAttnDownBlock2D)?.attentions ?? [] } + midBlock.attentions
            + up.flatMap { ($0 as? CrossAttnUpBlock2D)?.attentions ?? [] }
        for t in transformers {
            for block in t.transformerBlocks { attn2.append((block.attn2Name, block.downscale)) }
        }
        crossAttentionLayers = attn2
    }

    public var children: [(name: String, module: any Module)] {
        [("conv_in", convIn), ("time_embedding", timeEmbedding)]
            + downBlocks.enumerated().map { ("down_blocks.\($0.offset)", $0.element) }
            + upBlocks.enumerated().map { ("up_blocks.\($0.offset)", $0.element) }
            + [("mid_block", midBlock), ("conv_norm_out", convNormOut), ("conv_out", convOut)]
    }

    /// The attn2 layer names a spec selects, in forward order. Unknown names, and selectors that match no
    /// layer, are errors.
    public func captureLayers(_ spec: AttentionCaptureSpec) throws -> [String] {
        guard !spec.layers.isEmpty else { throw UNetError("capture: the spec selects no layers") }
        var selected = Set<String>()
        for selector in spec.layers {
            let matches: [String]
            switch selector {
            case .all: matches = crossAttentionLayers.map(\.name)
            case .downscale(let d): matches = crossAttentionLayers.filter { $0.downscale == d }.map(\.name)
            case .name(let name): matches = crossAttentionLayers.contains { $0.name == name } ? [name] : []
            }
            guard !matches.isEmpty else {
                throw UNetError("capture: \"\(selector)\" matches no cross-attention layer of this UNet "
                    + "(layers run at 1/" + Set(crossAttentionLayers.map(\.downscale)).sorted().map(String.init)
                    .joined(separator: ", 1/") + ")")
            }
            selected.formUnion(matches)
        }
        return crossAttentionLayers.map(\.name).filter(selected.contains)
    }

    /// sample: [B, in_channels, H, W]; timestep: a scalar, [1] or [B] (any numeric dtype);
    /// encoderHiddenStates: [B, S, cross_attention_dim]. With `capture`, the selected attn2 layers run the
    /// explicit attention path and their maps/queries come back in `UNetOutput.captures`.
    public func callAsFunction(sample: Tensor, timestep: Tensor, encoderHiddenStates: Tensor,
                               capture: AttentionCaptureSpec? = nil) throws -> UNetOutput {
        guard sample.ndim == 4, sample.shape[1] == config.inChannels else {
            throw UNetError("UNet: sample must be [B, \(config.inChannels), H, W], got \(sample.shape)")
        }
        let batch = sample.shape[0]
        guard encoderHiddenStates.ndim == 3, encoderHiddenStates.shape[0] == batch else {
            throw UNetError("UNet: encoderHiddenStates must be [\(batch), S, C], got \(encoderHiddenStates.shape)")
        }
        let plan = try capture.map {
            try CapturePlan(spec: $0, layers: Set(captureLayers($0)), batch: batch,
                            tokens: encoderHiddenStates.shape[1], device: sample.device)
        }

        // Timesteps broadcast to the batch, as diffusers does.
        let timesteps: Tensor
        switch (timestep.ndim, timestep.numel) {
        case (0, _): timesteps = try timestep.reshape([1]).expand([batch])
        case (1, 1): timesteps = try timestep.expand([batch])
        case (1, batch): timesteps = timestep
        default:
            throw UNetError("UNet: timestep must be a scalar, [1] or [\(batch)], got shape \(timestep.shape)")
        }
        let temb = try timeEmbedding(timeProj(timesteps).to(sample.dtype))

        // Sizes that are not multiples of the total upsampling factor make the upsamplers follow the skips' sizes.
        let factor = 1 << (config.blockOutChannels.count - 1)
        let forwardUpsampleSize = sample.shape[2] % factor != 0 || sample.shape[3] % factor != 0

        var hidden = try config.centerInputSample ? sample * 2 - 1 : sample
        hidden = try convIn(hidden)
        var skips: [Tensor] = [hidden]
        var captures: [CapturedAttention] = []

        for block in downPath {
            let (outputs, captured) = try runBlock([hidden, temb, encoderHiddenStates]) { inputs in
                let r = try block.forward(inputs[0], temb: inputs[1], encoderHiddenStates: inputs[2], plan: plan)
                return ([r.output] + r.skips, r.captures)
            }
            hidden = outputs[0]
            skips += outputs.dropFirst()
            captures += captured
        }

        let (midOutputs, midCaptures) = try runBlock([hidden, temb, encoderHiddenStates]) { [midBlock] inputs in
            let r = try midBlock.forward(inputs[0], temb: inputs[1], encoderHiddenStates: inputs[2], plan: plan)
            return ([r.output], r.captures)
        }
        hidden = midOutputs[0]
        captures += midCaptures

        for (i, block) in upPath.enumerated() {
            let blockSkips = Array(skips.suffix(block.resnetCount))
            skips.removeLast(block.resnetCount)
            let upsampleSize = forwardUpsampleSize && i < upPath.count - 1
                ? (skips[skips.count - 1].shape[2], skips[skips.count - 1].shape[3]) : nil
            let (outputs, captured) = try runBlock([hidden, temb, encoderHiddenStates] + blockSkips) { inputs in
                let r = try block.forward(inputs[0], skips: Array(inputs.dropFirst(3)), temb: inputs[1],
                                          encoderHiddenStates: inputs[2], upsampleSize: upsampleSize, plan: plan)
                return ([r.output], r.captures)
            }
            hidden = outputs[0]
            captures += captured
        }

        hidden = try convOut(convNormOut(hidden).silu())
        return UNetOutput(sample: hidden, captures: AttentionCaptures(captures))
    }

    /// Runs one block, under gradient checkpointing when enabled: the block's captures are flattened into the
    /// checkpoint's outputs (so they stay differentiable) and rebuilt after it.
    private func runBlock(_ inputs: [Tensor], _ body: @escaping ([Tensor]) throws -> ([Tensor], [CapturedAttention]))
        throws -> ([Tensor], [CapturedAttention])
    {
        guard gradientCheckpointing, Tensor.isGradEnabled else { return try body(inputs) }
        let layout = CaptureLayout()
        let flat = try Tensor.checkpoint(inputs) { tensors in
            let (outputs, captures) = try body(tensors)
            return layout.flatten(outputs, captures)
        }
        return try layout.unflatten(flat)
    }
}

/// How a checkpointed block's outputs and captures were laid out in one flat tensor list (the same on every
/// run of the block: the plan fixes which layers capture what).
private final class CaptureLayout {
    private var outputCount = 0
    private var entries: [(name: String, downscale: Int, maps: Bool, queries: Bool, probabilities: Bool)] = []

    func flatten(_ outputs: [Tensor], _ captures: [CapturedAttention]) -> [Tensor] {
        outputCount = outputs.count
        entries = captures.map { ($0.name, $0.downscale, $0.maps != nil, $0.queries != nil, $0.probabilities != nil) }
        return outputs + captures.flatMap { [$0.maps, $0.queries, $0.probabilities].compactMap { $0 } }
    }

    func unflatten(_ flat: [Tensor]) throws -> ([Tensor], [CapturedAttention]) {
        var rest = flat.dropFirst(outputCount)
        func next(_ present: Bool) -> Tensor? { present ? rest.popFirst() : nil }
        let captures = entries.map {
            CapturedAttention(name: $0.name, downscale: $0.downscale, maps: next($0.maps), queries: next($0.queries),
                              probabilities: next($0.probabilities))
        }
        guard rest.isEmpty, flat.count >= outputCount else {
            throw UNetError("checkpointed block returned \(flat.count) tensors, layout expects a different count")
        }
        return (Array(flat.prefix(outputCount)), captures)
    }
}
