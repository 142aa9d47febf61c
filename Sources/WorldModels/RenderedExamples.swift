import Foundation
import Imaging
import PortraitWorld
import Torch

/// A batch of rendered portraits as tensors.
public struct RenderedBatch {
    public let attributes: [PortraitAttributes]
    /// The captions with each phrase's role (what `CaptionAttributeHeads` reads).
    public let phrases: [Caption]
    public var captions: [String] { phrases.map(\.text) }
    /// [B, 3, 64, 64] in [-1, 1] (torchvision's ToTensor + Normalize(0.5, 0.5), as the engine feeds the VAE).
    public let pixels: Tensor
    /// [B, 64, 64] int64 `PortraitLabel` ids, when asked for.
    public let labels: Tensor?
    /// [B, heads] int64 class indices of `AttributeClass.all`.
    public let classes: Tensor
}

/// Training examples drawn from (seed, index) without files: the renderer is deterministic and fast, so a
/// stage's step s simply renders its examples [s * B, (s + 1) * B) of an endless stream, and a resumed run
/// sees exactly what an uninterrupted one would have seen.
public struct RenderedExamples: Sendable {
    public enum Kind: String, Codable, Sendable {
        /// `WorldDistribution.pretraining` with its captions (the same draws as `spf world dataset --kind
        /// pretrain --seed S`): never a target.
        case pretraining
        /// The probe's mixture: half pre-training, half a random target's fine-tuning distribution (its
        /// shifts: casts, framing, narrower people), and every other target switched on with odds 1/8 where
        /// it applies, so that the evaluator has seen every attribute in every context.
        case probe
    }

    public let kind: Kind
    public let seed: UInt64
    let renderer: PortraitRenderer
    let dataset: WorldDataset

    public init(kind: Kind, seed: UInt64, size: Int = 64) throws {
        self.kind = kind
        self.seed = seed
        renderer = try PortraitRenderer(size: size)
        dataset = try WorldDataset(kind: .pretrain, count: WorldDataset.maxCount, seed: seed, size: size)
    }

    /// Held-out examples: a different seed's stream (no training stage uses seeds above 2^40).
    public func heldOut() throws -> RenderedExamples {
        try RenderedExamples(kind: kind, seed: seed ^ 0x5EED_0000_0000_0000, size: renderer.size)
    }

    public func example(_ index: Int) throws -> (attributes: PortraitAttributes, caption: Caption) {
        let i = index % WorldDataset.maxCount
        switch kind {
        case .pretraining:
            let example = try dataset.example(i)
            return (example.attributes, example.caption)
        case .probe:
            var rng = SplitMix64(seed: seed ^ 0x0050_524F_4245_0000, stream: UInt64(i))
            var attributes: PortraitAttributes
            if rng.chance(1, in: 2) {
                attributes = WorldDistribution.pretraining.sample(using: &rng)
            } else {
                attributes = WorldDistribution.finetuning(rng.pick(PortraitTarget.allCases)).sample(using: &rng)
            }
            for target in PortraitTarget.allCases where rng.chance(1, in: 8) && target.canApply(to: attributes) {
                attributes = target.applied(to: attributes)
            }
            if rng.chance(1, in: 2), attributes.targets.hat != nil {
                attributes.targets.hat = rng.pick(HatColor.allCases)
            }
            let caption = CaptionBuilder.caption(for: attributes.withoutTargets, using: &rng)
            return (attributes, caption)
        }
    }

    /// Example `index` with one captioned attribute changed (`WorldDataset.counterpart`): pre-training only.
    public func counterpart(_ index: Int) throws -> Counterpart {
        guard kind == .pretraining else { throw WorldError("counterparts are drawn from the pre-training stream only") }
        return try dataset.counterpart(index % WorldDataset.maxCount)
    }

    public func batch(_ indices: [Int], labels: Bool = false) throws -> RenderedBatch {
        try render(indices.map { try example($0) }, labels: labels)
    }

    /// The examples [indices] followed by their counterparts: a CLIP batch in which every portrait has a hard
    /// negative that differs in one captioned attribute.
    public func batchWithCounterparts(_ indices: [Int]) throws -> (batch: RenderedBatch, changed: [String]) {
        let counterparts = try indices.map { try counterpart($0) }
        let items = try indices.map { try example($0) } + counterparts.map { ($0.attributes, $0.caption) }
        return (try render(items), counterparts.map(\.changed))
    }

    /// Renders (attributes, caption) items into one batch.
    public func render(_ items: [(attributes: PortraitAttributes, caption: Caption)], labels: Bool = false) throws -> RenderedBatch {
        var attributes: [PortraitAttributes] = []
        var captions: [Caption] = []
        var images: [Tensor] = []
        var ids: [Int64] = []
        var classes: [Int64] = []
        for (a, caption) in items {
            let portrait = try renderer.render(a)
            attributes.append(a)
            captions.append(caption)
            images.append(try portrait.image.normalizedTensor())
            if labels { ids += portrait.labels.ids.map { Int64($0) } }
            classes += AttributeClass.indices(of: a).map { Int64($0) }
        }
        let size = renderer.size
        return RenderedBatch(
            attributes: attributes, phrases: captions, pixels: try Tensor.stack(images),
            labels: labels ? try Tensor(ids, shape: [items.count, size, size]) : nil,
            classes: try Tensor(classes, shape: [items.count, AttributeClass.all.count]))
    }

    public func batch(_ range: Range<Int>, labels: Bool = false) throws -> RenderedBatch {
        try batch(Array(range), labels: labels)
    }
}
