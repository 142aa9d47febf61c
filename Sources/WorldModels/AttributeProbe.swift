import Foundation
import InputChecks
import NN
import PortraitWorld
import SafeTensors
import Torch

/// One level of the probe: 3x3 convolution (stride 2 after the first level), GroupNorm, SiLU, then a
/// second 3x3 convolution, GroupNorm, SiLU.
final class ProbeLevel: Module {
    let conv1: Conv2d
    let norm1: GroupNorm
    let conv2: Conv2d
    let norm2: GroupNorm

    init(_ inChannels: Int, _ outChannels: Int, stride: Int, groups: Int, factory: ParameterFactory) throws {
        conv1 = try Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1, factory: factory)
        norm1 = try GroupNorm(groups: groups, channels: outChannels, factory: factory)
        conv2 = try Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1, factory: factory)
        norm2 = try GroupNorm(groups: groups, channels: outChannels, factory: factory)
    }

    var children: [(name: String, module: any Module)] {
        [("conv1", conv1), ("norm1", norm1), ("conv2", conv2), ("norm2", norm2)]
    }

    func callAsFunction(_ x: Tensor) throws -> Tensor {
        let h = try norm1(conv1(x)).silu()
        return try norm2(conv2(h)).silu()
    }
}

/// What the probe reads from a batch of images.
public struct ProbeOutput {
    /// Per attribute (`AttributeClass.all` order): logits [B, classes].
    public let attributes: [Tensor]
    /// Per-pixel label logits [B, labels, H, W].
    public let segmentation: Tensor
}

/// The world's evaluator: predicts every attribute of a 64x64 image (one linear head per `AttributeClass`,
/// targets included, on the last level pooled to a `head_grid` x `head_grid` map, plus with `region_pooling` the
/// image and the first two levels averaged over each class region of its own segmentation) and a per-pixel
/// segmentation into `PortraitLabel` classes. Built from the project's NN layers;
/// parameter names are plain dotted names (`levels.0.conv1.weight`, `heads.hair_color.weight`, ...).
public final class AttributeProbe: Module {
    public let config: AttributeProbeConfig
    let levels: [ProbeLevel]
    let heads: [Linear]
    let segmentLow: Conv2d
    let segmentHigh: Conv2d
    public let classes: [AttributeClass]

    public init(_ config: AttributeProbeConfig, factory: ParameterFactory) throws {
        self.config = config
        classes = AttributeClass.all
        for attribute in classes where config.heads[attribute.name] != attribute.count {
            throw WorldError("probe config: head \(attribute.name) has \(config.heads[attribute.name] ?? 0) classes, "
                             + "the world has \(attribute.count)")
        }
        var levels: [ProbeLevel] = []
        var previous = 3
        for (i, channels) in config.channels.enumerated() {
            levels.append(try ProbeLevel(previous, channels, stride: i == 0 ? 1 : 2, groups: config.normGroups,
                                         factory: factory))
            previous = channels
        }
        self.levels = levels
        let last = config.imageSize >> (config.channels.count - 1)
        guard config.headGrid > 0, last % config.headGrid == 0 else {
            throw WorldError("probe config: the last level is \(last)x\(last), not a multiple of head_grid \(config.headGrid)")
        }
        var features = previous * config.headGrid * config.headGrid
        if config.regionPooling {
            features += config.segmentationClasses * (3 + config.channels[0] + config.channels[1])
                + 3 * config.headGrid * config.headGrid
        }
        heads = try classes.map { try Linear(features, $0.count, factory: factory) }
        segmentHigh = try Conv2d(config.channels[0], config.segmentationClasses, kernelSize: 1, factory: factory)
        segmentLow = try Conv2d(config.channels[1], config.segmentationClasses, kernelSize: 1, factory: factory)
    }

    public var children: [(name: String, module: any Module)] {
        levels.enumerated().map { ("levels.\($0.offset)", $0.element as any Module) }
            + zip(classes, heads).map { ("heads.\($0.0.name)", $0.1 as any Module) }
            + [("segment_high", segmentHigh), ("segment_low", segmentLow)]
    }

    /// The feature map of every level, [B, channels[i], 64 >> i, 64 >> i] (the metrics' perceptual distance
    /// compares these, as LPIPS compares a network's layers).
    public func features(_ pixels: Tensor) throws -> [Tensor] {
        var features: [Tensor] = []
        var h = pixels
        for level in levels {
            h = try level(h)
            features.append(h)
        }
        return features
    }

    /// `pixels`: [B, 3, 64, 64] in [-1, 1].
    public func callAsFunction(_ pixels: Tensor) throws -> ProbeOutput {
        let features = try features(pixels)
        let h = features[features.count - 1]
        let (b, c, size) = (h.shape[0], h.shape[1], h.shape[2])
        let g = config.headGrid
        let f = size / g
        var pooled = try h.reshape([b, c, g, f, g, f]).mean(dims: [3, 5]).flatten(startDim: 1)
        let high = try segmentHigh(features[0])
        let low = try segmentLow(features[1]).interpolate(size: (high.shape[2], high.shape[3]), mode: .bilinear)
        let segmentation = try high + low
        if config.regionPooling {
            let weights = try segmentation.detach().softmax(dim: 1)
            let p = pixels.shape[2] / g
            pooled = try Tensor.cat([
                pooled,
                try Self.regionMeans(pixels, weights: weights),
                try Self.regionMeans(features[0], weights: weights),
                try Self.regionMeans(features[1], weights: weights),
                try pixels.reshape([b, 3, g, p, g, p]).mean(dims: [3, 5]).flatten(startDim: 1),
            ], dim: 1)
        }
        let logits = try heads.map { try $0(pooled) }
        return ProbeOutput(attributes: logits, segmentation: segmentation)
    }

    /// Per class k, the mean of `x` [B, C, h, w] over the pixels weighted by `weights` [B, K, H, W] (class
    /// probabilities at H = h * s, averaged over s x s blocks to x's resolution): [B, K * C], class-major.
    public static func regionMeans(_ x: Tensor, weights: Tensor) throws -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = weights.shape[1]
        let s = weights.shape[2] / h
        let p = s == 1 ? weights : try weights.reshape([b, k, h, s, w, s]).mean(dims: [3, 5])
        let flat = try p.reshape([b, k, h * w])
        let sums = try flat.bmm(x.reshape([b, c, h * w]).transpose(1, 2))
        // A class absent from the image has ~0 mass: its mean is ~0 rather than noise divided by ~0.
        let mass = try flat.sum(dims: [2], keepDim: true) + 1e-3
        return try (sums / mass).flatten(startDim: 1)
    }

    /// A probe folder as `spf world pretrain` writes it: config.json (`ProbeFolderConfig`) and model.safetensors.
    /// The folder's head classes must be the world's (a probe of another renderer version reads wrong classes).
    public static func load(folder: String) throws -> AttributeProbe {
        let configPath = (folder as NSString).appendingPathComponent("config.json")
        let weightsPath = (folder as NSString).appendingPathComponent("model.safetensors")
        let config = try ConfigFile.load(ProbeFolderConfig.self, path: configPath, kind: "a probe config")
        for attribute in AttributeClass.all where config.classes[attribute.name] != attribute.values {
            throw WorldError("\(configPath): the classes of head '\(attribute.name)' are "
                             + "\(config.classes[attribute.name].map { "\($0)" } ?? "missing"), the world's are \(attribute.values)")
        }
        let probe = try AttributeProbe(config.probe, factory: .uninitialized)
        try probe.load(SafeTensors.load(weightsPath), source: weightsPath)
        try probe.setRequiresGrad(false)
        return probe
    }

    public struct Losses {
        public let total: Tensor
        public let attributes: Tensor
        public let segmentation: Tensor
    }

    /// Mean cross-entropy over the attribute heads plus the per-pixel cross-entropy.
    /// `targets`: [B, heads] int64 class indices; `labels`: [B, H, W] int64 label ids. `crispRows`: the batch rows
    /// that are crisp renders (nil: all), e.g. the last half of a batch whose first rows are VAE reconstructions;
    /// the heads named in `crispOnly` learn from those rows only, every other head and the segmentation from all.
    public func loss(_ output: ProbeOutput, targets: Tensor, labels: Tensor, crispRows: Range<Int>? = nil,
                     crispOnly: Set<String> = []) throws -> Losses {
        var sum: Tensor?
        for (i, logits) in output.attributes.enumerated() {
            var (logits, classes) = (logits, try targets.select(dim: 1, index: i))
            if let rows = crispRows, crispOnly.contains(AttributeClass.all[i].name) {
                if rows.isEmpty { continue }
                logits = try logits.narrow(dim: 0, start: rows.lowerBound, length: rows.count)
                classes = try classes.narrow(dim: 0, start: rows.lowerBound, length: rows.count)
            }
            let term = try crossEntropy(logits, classes)
            sum = try sum.map { try $0 + term } ?? term
        }
        let attributes = try sum! / Double(output.attributes.count)
        let n = output.segmentation.shape[1]
        let flat = try output.segmentation.permute([0, 2, 3, 1]).reshape([-1, n])
        let segmentation = try crossEntropy(flat, labels.reshape([-1]))
        return Losses(total: try attributes + segmentation, attributes: attributes, segmentation: segmentation)
    }

    /// Class indices [B, heads] and label ids [B, H, W] predicted for `pixels`.
    public func predict(_ pixels: Tensor) throws -> (attributes: [[Int]], labels: Tensor) {
        try Tensor.withNoGrad {
            let output = try self(pixels)
            let columns = try output.attributes.map { try $0.argmax(dim: 1).toArray(Int64.self).map(Int.init) }
            let rows = (0..<pixels.shape[0]).map { b in columns.map { $0[b] } }
            return (rows, try output.segmentation.argmax(dim: 1))
        }
    }
}

/// torch.nn.functional.cross_entropy(logits [N, C], classes [N] int64), mean over N.
func crossEntropy(_ logits: Tensor, _ classes: Tensor) throws -> Tensor {
    let logProbabilities = try logits.logSoftmax(dim: 1)
    return try logProbabilities.gather(dim: 1, index: classes.unsqueeze(dim: 1)).mean().neg()
}
