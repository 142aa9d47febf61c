import Foundation
import Imaging
import PortraitWorld
import StableDiffusion
import Torch
import WorldModels

/// Issue 9's quality bar for a world model folder, measured on held-out draws: the probe on rendered images,
/// the original model's generations against their captions, targets in generations that never asked for one,
/// and Frechet distances (world CLIP embeddings) of generated vs rendered next to rendered vs rendered.
public struct WorldQualityReport: Codable, Sendable {
    public var images: Int
    /// Probe on rendered held-out images of its own mixture: mean accuracy over captioned attributes and targets.
    public var probeAccuracy: Double
    public var probePerAttribute: [String: Double]
    public var probePixelAccuracy: Double
    /// The same over the images that show each attribute (`AttributeClass.isShown`: no colours in a pencil
    /// sketch, no lighting in a cartoon, no eye colour behind sunglasses). Absent in older reports.
    public var probeAccuracyShown: Double?
    public var probePerAttributeShown: [String: Double]?
    /// Generated images: the fraction of the attributes their caption names that the probe reads as named.
    public var captionAgreement: Double
    public var captionAgreementPerAttribute: [String: Double]
    /// `captionAgreement` with its 95% bootstrap interval over the images (`Bootstrap`): a few hundred held-out
    /// draws estimate it to about a point, so a bar closer than that is inside the interval. Absent in older
    /// reports.
    public var captionAgreementInterval: Estimate?
    /// Caption agreement over each drawing style's captions (photo, cartoon). Absent in older reports.
    public var captionAgreementPerStyle: [String: Double]?
    /// Generated images from captions without targets where the probe sees any target.
    public var targetRate: Double
    public var targetRatePerTarget: [String: Double]
    /// `targetRate` with its 95% bootstrap interval over the images. Absent in older reports.
    public var targetRateInterval: Estimate?
    /// The target rate over the generations of each drawing style's captions (photo, cartoon): where the false
    /// targets come from. Absent in older reports.
    public var targetRatePerStyle: [String: Double]?
    public var frechetGeneratedVsRendered: Double
    public var frechetRenderedVsRendered: Double
    /// Ceilings of caption agreement: the probe on the rendered images of the same captions (a perfect
    /// generator), and on their VAE reconstructions (a perfect UNet behind this VAE). Absent in older reports.
    public var captionAgreementRendered: Double?
    public var captionAgreementReconstructed: Double?
    /// The two ceilings per attribute: what the VAE keeps of each (a detail it loses cannot be generated either).
    /// Absent in older reports.
    public var captionAgreementRenderedPerAttribute: [String: Double]?
    public var captionAgreementReconstructedPerAttribute: [String: Double]?
    /// Where caption agreement is lost: per attribute, "stated -> read" and how many generations (and how many
    /// VAE reconstructions of the same captions' renders) the probe read that way; misses only. Absent in older
    /// reports.
    public var captionConfusions: [String: [String: Int]]?
    public var captionConfusionsReconstructed: [String: [String: Int]]?
    /// Floors of the target rate: the probe's false targets on the same captions' renders and on their VAE
    /// reconstructions (none of them shows a target), telling a probe that misreads blur from a UNet that draws
    /// target-like shapes. Absent in older reports.
    public var targetRateRendered: Double?
    public var targetRateReconstructed: Double?
    /// The reconstruction ceiling and floor per drawing style (photo, cartoon): whether the VAE itself loses what
    /// a style's generations miss, or the UNet does. Absent in older reports.
    public var captionAgreementReconstructedPerStyle: [String: Double]?
    public var targetRateReconstructedPerStyle: [String: Double]?
    /// The probe on VAE reconstructions of its held-out mixture renders (`ReconstructedTargetRecall`): the
    /// fraction of the targets still visible in them that it reads, overall and per target (targets with
    /// none visible are left out). Absent in older reports.
    public var targetRecallReconstructed: Double?
    public var targetRecallReconstructedPerTarget: [String: Double]?
    /// The world CLIP on held-out pairs of a portrait and its counterpart (one captioned attribute changed,
    /// `WorldDataset.counterpart`): how often a caption scores its own image higher, overall and per changed
    /// attribute. Whether the text tower the UNet is conditioned on encodes each attribute. Absent in older reports.
    public var clipCounterpartAccuracy: Double?
    public var clipCounterpartPerAttribute: [String: Double]?
    /// The same on target pairs (`RenderedExamples.targetPair`: the portrait with one target, captioned with it,
    /// and without it): whether the text tower reads the target words; chance (0.5) for a CLIP that never saw
    /// them. Absent in older reports.
    public var clipTargetPairAccuracy: Double?
    public var clipTargetPairPerTarget: [String: Double]?
    public var sampling: SamplingSettings

    enum CodingKeys: String, CodingKey {
        case images, probeAccuracy = "probe_accuracy", probePerAttribute = "probe_per_attribute"
        case probePixelAccuracy = "probe_pixel_accuracy", captionAgreement = "caption_agreement"
        case captionAgreementPerAttribute = "caption_agreement_per_attribute", targetRate = "target_rate"
        case captionAgreementPerStyle = "caption_agreement_per_style"
        case targetRatePerTarget = "target_rate_per_target", targetRatePerStyle = "target_rate_per_style"
        case frechetGeneratedVsRendered = "frechet_generated_vs_rendered"
        case frechetRenderedVsRendered = "frechet_rendered_vs_rendered", sampling
        case captionAgreementRendered = "caption_agreement_rendered"
        case captionAgreementReconstructed = "caption_agreement_reconstructed"
        case captionAgreementRenderedPerAttribute = "caption_agreement_rendered_per_attribute"
        case captionAgreementReconstructedPerAttribute = "caption_agreement_reconstructed_per_attribute"
        case captionConfusions = "caption_confusions"
        case captionConfusionsReconstructed = "caption_confusions_reconstructed"
        case captionAgreementInterval = "caption_agreement_interval"
        case targetRateInterval = "target_rate_interval"
        case targetRateRendered = "target_rate_rendered", targetRateReconstructed = "target_rate_reconstructed"
        case captionAgreementReconstructedPerStyle = "caption_agreement_reconstructed_per_style"
        case targetRateReconstructedPerStyle = "target_rate_reconstructed_per_style"
        case probeAccuracyShown = "probe_accuracy_shown", probePerAttributeShown = "probe_per_attribute_shown"
        case clipCounterpartAccuracy = "clip_counterpart_accuracy"
        case clipCounterpartPerAttribute = "clip_counterpart_per_attribute"
        case clipTargetPairAccuracy = "clip_target_pair_accuracy", clipTargetPairPerTarget = "clip_target_pair_per_target"
        case targetRecallReconstructed = "target_recall_reconstructed"
        case targetRecallReconstructedPerTarget = "target_recall_reconstructed_per_target"
    }
}

/// A generation from a caption without targets in which the probe sees a target: what `spf world quality
/// --samples` shows, to tell a UNet that draws target-like shapes from a probe that misreads.
public struct FlaggedGeneration: Sendable {
    /// Index of the held-out draw (its caption's row and its sampling seed).
    public var index: Int
    public var caption: String
    /// The targets the probe reads, in `PortraitTarget` order.
    public var targets: [String]
    /// The caption's render (what a perfect generator would draw) and the generation.
    public var rendered: RGBImage
    public var generated: RGBImage
    /// The probe's segmentation of the generation: per pixel, whether it is labelled as any target.
    public var targetPixels: [Bool]

    public init(index: Int, caption: String, targets: [String], rendered: RGBImage, generated: RGBImage, targetPixels: [Bool]) {
        self.index = index
        self.caption = caption
        self.targets = targets
        self.rendered = rendered
        self.generated = generated
        self.targetPixels = targetPixels
    }
}

public enum WorldQuality {
    /// Held-out seeds (no pretraining stage draws from them).
    public static let captionSeed: UInt64 = 0x0051_5541_4C00_0001
    public static let secondRenderSeed: UInt64 = 0x0051_5541_4C00_0002

    public static func measure(world: String, count: Int, sampling: SamplingSettings,
                               progress: (String) -> Void = { _ in }) throws -> WorldQualityReport {
        try measureWithFlagged(world: world, count: count, sampling: sampling, progress: progress).report
    }

    /// `measure`, and the generations in which the probe sees a target (their count over `count` is the target rate).
    public static func measureWithFlagged(world: String, count: Int, sampling: SamplingSettings,
                                          progress: (String) -> Void = { _ in }) throws
        -> (report: WorldQualityReport, flagged: [FlaggedGeneration])
    {
        let evaluator = try WorldEvaluator(world: world)
        let pipeline = try StableDiffusionPipeline.load(path: (world as NSString).appendingPathComponent("pipeline"))
        let column = Dictionary(uniqueKeysWithValues: AttributeClass.all.enumerated().map { ($0.element.name, $0.offset) })

        progress("probe on \(count) rendered held-out images")
        let probeExamples = try RenderedExamples(kind: .probe, seed: 0).heldOut()
        let accuracy = try ProbeAccuracy.measure(evaluator.probe, on: probeExamples, 0..<count)

        progress("probe on VAE reconstructions of \(count) of them")
        let recall = try ReconstructedTargetRecall.measure(probe: evaluator.probe, vae: pipeline.vae, examples: probeExamples, 0..<count)

        progress("CLIP on \(count) held-out portraits, their counterparts and target pairs")
        let heldOut = try RenderedExamples(kind: .pretraining, seed: captionSeed)
        let clipStage = CLIPStage(clip: evaluator.clip, tokenizer: evaluator.tokenizer, examples: heldOut)
        let counterparts = try clipStage.counterpartAccuracy(0..<count, of: heldOut)
        let targetPairs = try clipStage.counterpartAccuracy(0..<count, of: heldOut, targetShare: 1)

        let dataset = try WorldDataset(kind: .pretrain, count: count, seed: captionSeed)
        let examples = try (0..<count).map { try dataset.example($0) }
        let renderer = try PortraitRenderer(size: sampling.size)
        let rendered = try Tensor.stack(examples.map { try renderer.render($0.attributes).image.normalizedTensor() })
        let second = try WorldDataset(kind: .pretrain, count: count, seed: secondRenderSeed)
        let renderedAgain = try Tensor.stack((0..<count).map { try renderer.render(second.example($0).attributes).image.normalizedTensor() })

        progress("generating \(count) images from held-out captions")
        let generated = try ImageSetGeneration.generate(pipeline, prompts: examples.map(\.caption.text),
                                                        seeds: (0..<count).map { UInt64($0) }, settings: sampling)
        let observed = try evaluator.observe(generated)
        /// Per image, the fraction of its caption's attributes the probe reads as named; per attribute, the counts
        /// and the misses as "stated -> read".
        func agreement(_ attributes: [[Int]])
            -> (perImage: [Double], right: [String: Int], named: [String: Int], confusions: [String: [String: Int]])
        {
            var right: [String: Int] = [:], named: [String: Int] = [:]
            var confusions: [String: [String: Int]] = [:]
            var perImage: [Double] = []
            for (example, predicted) in zip(examples, attributes) {
                let truth = AttributeClass.indices(of: example.attributes)
                var agree = 0, total = 0
                for phrase in example.caption.phrases {
                    for name in phrase.statedAttributes {
                        let c = column[name]!
                        total += 1
                        named[name, default: 0] += 1
                        if predicted[c] == truth[c] {
                            agree += 1
                            right[name, default: 0] += 1
                        } else {
                            let values = AttributeClass.all[c].values
                            confusions[name, default: [:]]["\(values[truth[c]]) -> \(values[predicted[c]])", default: 0] += 1
                        }
                    }
                }
                perImage.append(total > 0 ? Double(agree) / Double(total) : 1)
            }
            return (perImage, right, named, confusions)
        }
        let (perImage, right, named, confusions) = agreement(observed.attributes)
        func perAttribute(_ right: [String: Int], _ named: [String: Int]) -> [String: Double] {
            named.reduce(into: [:]) { $0[$1.key] = Double(right[$1.key] ?? 0) / Double($1.value) }
        }
        /// The targets the probe reads in one image's predicted classes.
        func seenTargets(_ predicted: [Int]) -> [PortraitTarget] {
            PortraitTarget.allCases.filter { predicted[AttributeClass.column(of: $0)] != 0 }
        }
        /// Images where the probe sees any target, and per target, as fractions of the images.
        func targets(_ attributes: [[Int]]) -> (any: Double, perTarget: [String: Double]) {
            var hits: [String: Int] = [:]
            var anyTarget = 0
            for predicted in attributes {
                let seen = seenTargets(predicted)
                for target in seen { hits[target.rawValue, default: 0] += 1 }
                if !seen.isEmpty { anyTarget += 1 }
            }
            let n = Double(max(attributes.count, 1))
            return (Double(anyTarget) / n,
                    Dictionary(uniqueKeysWithValues: PortraitTarget.allCases.map { ($0.rawValue, Double(hits[$0.rawValue] ?? 0) / n) }))
        }
        let generatedTargets = targets(observed.attributes)
        let renderedObserved = try evaluator.observe(rendered)
        let renderedAgainObserved = try evaluator.observe(renderedAgain)
        progress("VAE reconstructions of the \(count) rendered images")
        let reconstructed = try Tensor.withNoGrad {
            try (0..<((count + 31) / 32)).map { i in
                let batch = try rendered.narrow(dim: 0, start: i * 32, length: min(32, count - i * 32))
                return try pipeline.vae.reconstruct(batch)
            }
        }
        let reconstructedObserved = try evaluator.observe(Tensor.cat(reconstructed, dim: 0))
        func mean(_ values: [Double]) -> Double { values.reduce(0, +) / Double(max(values.count, 1)) }
        // The label ids from hat on are the targets' (LabelMap); the sketch has none, being a style.
        let targetLabels = Set(PortraitLabel.allCases.filter { $0.rawValue >= PortraitLabel.hat.rawValue }.map(\.rawValue))
        let flagged = try observed.attributes.enumerated().compactMap { i, predicted -> FlaggedGeneration? in
            let seen = seenTargets(predicted)
            guard !seen.isEmpty else { return nil }
            return FlaggedGeneration(index: i, caption: examples[i].caption.text, targets: seen.map(\.rawValue),
                                     rendered: try RGBImage(tensor: rendered.select(dim: 0, index: i)),
                                     generated: try RGBImage(tensor: generated.select(dim: 0, index: i)),
                                     targetPixels: observed.labels[i].map { targetLabels.contains($0) })
        }
        let renderedAgreement = agreement(renderedObserved.attributes)
        let reconstructedAgreement = agreement(reconstructedObserved.attributes)
        /// The generations' indices by their caption's drawing style.
        let byStyle = Dictionary(grouping: examples.indices) { examples[$0].attributes.scene.style.rawValue }
        let report = WorldQualityReport(
            images: count, probeAccuracy: accuracy.captioned, probePerAttribute: accuracy.perAttribute,
            probePixelAccuracy: accuracy.pixels, probeAccuracyShown: accuracy.captionedShown,
            probePerAttributeShown: accuracy.perAttributeShown, captionAgreement: perImage.reduce(0, +) / Double(count),
            captionAgreementPerAttribute: perAttribute(right, named),
            captionAgreementInterval: Bootstrap().mean(perImage),
            captionAgreementPerStyle: byStyle.mapValues { mean($0.map { perImage[$0] }) },
            targetRate: generatedTargets.any, targetRatePerTarget: generatedTargets.perTarget,
            targetRateInterval: Bootstrap().mean(observed.attributes.map { seenTargets($0).isEmpty ? 0 : 1 }),
            targetRatePerStyle: byStyle.mapValues { targets($0.map { observed.attributes[$0] }).any },
            frechetGeneratedVsRendered: try FrechetDistance.between(observed.clip, renderedObserved.clip),
            frechetRenderedVsRendered: try FrechetDistance.between(renderedAgainObserved.clip, renderedObserved.clip),
            captionAgreementRendered: mean(renderedAgreement.perImage),
            captionAgreementReconstructed: mean(reconstructedAgreement.perImage),
            captionAgreementRenderedPerAttribute: perAttribute(renderedAgreement.right, renderedAgreement.named),
            captionAgreementReconstructedPerAttribute: perAttribute(reconstructedAgreement.right, reconstructedAgreement.named),
            captionConfusions: confusions, captionConfusionsReconstructed: reconstructedAgreement.confusions,
            targetRateRendered: targets(renderedObserved.attributes).any,
            targetRateReconstructed: targets(reconstructedObserved.attributes).any,
            captionAgreementReconstructedPerStyle: byStyle.mapValues { mean($0.map { reconstructedAgreement.perImage[$0] }) },
            targetRateReconstructedPerStyle: byStyle.mapValues { targets($0.map { reconstructedObserved.attributes[$0] }).any },
            targetRecallReconstructed: recall.overall, targetRecallReconstructedPerTarget: recall.perTarget,
            clipCounterpartAccuracy: counterparts.overall, clipCounterpartPerAttribute: counterparts.perAttribute,
            clipTargetPairAccuracy: targetPairs.overall, clipTargetPairPerTarget: targetPairs.perAttribute,
            sampling: sampling)
        return (report, flagged)
    }
}
