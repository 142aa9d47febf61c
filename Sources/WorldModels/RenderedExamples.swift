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

    /// A target pair for CLIP (pre-training stream only): example `index` with one target that applies to it
    /// switched on (a target drawn uniformly from the index's own stream; hats in any colour) and captioned as the
    /// fine-tuning sets caption it (`PortraitTarget.caption`), and as its counterpart the example itself, with
    /// `changed` the target's name. Real CLIP knows "sunglasses"; a world CLIP that never read a target word
    /// gives the UNet nothing to attend to when a fine-tuning caption names it. Only CLIP trains on these: the
    /// UNet's pre-training data stays target-free (docs/decisions.md).
    public func targetPair(_ index: Int) throws -> (example: (attributes: PortraitAttributes, caption: Caption), counterpart: Counterpart) {
        guard kind == .pretraining else { throw WorldError("target pairs are drawn from the pre-training stream only") }
        let plain = try example(index)
        var rng = SplitMix64(seed: seed ^ 0x7A26_E7BA_1250_0000, stream: UInt64(index % WorldDataset.maxCount))
        let target = rng.pick(PortraitTarget.allCases.filter { $0.canApply(to: plain.attributes) })
        var attributes = target.applied(to: plain.attributes)
        if target == .hat { attributes.targets.hat = rng.pick(HatColor.allCases) }
        let caption = try target.caption(base: plain.caption, attributes: attributes)
        return ((attributes, caption), Counterpart(changed: target.rawValue, attributes: plain.attributes, caption: plain.caption))
    }

    /// Whether pair `index` of a CLIP batch is a target pair, with odds `share` (a draw of the index's own stream).
    public func isTargetPair(_ index: Int, share: Double) -> Bool {
        guard share > 0 else { return false }
        var rng = SplitMix64(seed: seed ^ 0x7A26_E7BA_5EA2_0000, stream: UInt64(index % WorldDataset.maxCount))
        return Double(rng.next() >> 11) / Double(1 << 53) < share
    }

    public func batch(_ indices: [Int], labels: Bool = false) throws -> RenderedBatch {
        try render(indices.map { try example($0) }, labels: labels)
    }

    /// The examples [indices] followed by their counterparts: a CLIP batch in which every portrait has a hard
    /// negative that differs in one captioned attribute. With `targetShare` > 0, that share of the pairs
    /// (`isTargetPair`) are target pairs instead (`targetPair`: the portrait with a target, then without it).
    public func batchWithCounterparts(_ indices: [Int], targetShare: Double = 0) throws -> (batch: RenderedBatch, changed: [String]) {
        let pairs: [(example: (attributes: PortraitAttributes, caption: Caption), counterpart: Counterpart)] = try indices.map {
            if isTargetPair($0, share: targetShare) { return try targetPair($0) }
            return (try example($0), try counterpart($0))
        }
        let items = pairs.map { $0.example } + pairs.map { ($0.counterpart.attributes, $0.counterpart.caption) }
        return (try render(items), pairs.map { $0.counterpart.changed })
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
