import Foundation
import PortraitWorld
import Torch

/// How much a customized image set kept of the original (each with a 95% bootstrap interval over pairs).
public struct PreservationMetrics: Codable, Equatable, Sendable {
    /// Frechet distance of the world CLIP's image embeddings (FID's formula; lower is closer).
    public var frechetDistance: Estimate
    /// Probe-feature perceptual distance (the LPIPS analogue; lower is closer).
    public var perceptualDistance: Estimate
    /// Identity attributes the probe reads the same (higher is better).
    public var identityAgreement: Estimate
    /// CLIP image-image cosine (CLIP-I; higher is closer).
    public var clipImage: Estimate
    /// mIoU of the probe's segmentations outside the target's region (Seg-Cons; higher is better).
    public var segmentationConsistency: Estimate

    enum CodingKeys: String, CodingKey {
        case frechetDistance = "frechet_distance", perceptualDistance = "perceptual_distance"
        case identityAgreement = "identity_agreement", clipImage = "clip_i", segmentationConsistency = "seg_cons"
    }
}

/// One customized model measured against the original (the paper's columns, in PortraitWorld).
public struct CustomizationMetrics: Codable, Equatable, Sendable {
    public var target: String
    public var pairs: Int
    /// Customized model on the full text vs the original on the base text: pollution while responding.
    public var fullText: PreservationMetrics
    /// Customized model on the base text alone vs the original on it: incremental learning.
    public var baseText: PreservationMetrics
    /// Cosine of the customized image on the full text with that text (CLIP-T).
    public var clipText: Estimate
    /// Fraction of full-text images where the probe sees the target.
    public var targetDetection: Estimate
    /// Fraction of base-text images of the customized model that show the target anyway (leakage).
    public var baseTextTargetRate: Estimate
    /// The probe's false-positive floor: the original model on the base text.
    public var originalTargetRate: Estimate
    /// Response to the text itself: per pair, target detected on the full text minus on the base text (same
    /// seed), averaged. A model that draws the target whatever the prompt (a fine-tuning set's look learnt as the
    /// default) scores ~0 however high its detection; one that adds it when asked and only then scores up to 1.
    /// nil in measurements made before it existed.
    public var textResponse: Estimate?

    enum CodingKeys: String, CodingKey {
        case target, pairs, fullText = "full_text", baseText = "base_text", clipText = "clip_t"
        case targetDetection = "target_detection", baseTextTargetRate = "base_text_target_rate"
        case originalTargetRate = "original_target_rate", textResponse = "text_response"
    }

    /// Frechet distances resample fewer times: each replicate is two 64-dimensional eigen-decompositions.
    public static let frechetReplicates = 200

    /// Measures from the three image sets of the same prompts and seeds ([N, 3, 64, 64] in [-1, 1]).
    public static func measure(target: PortraitTarget, fullTexts: [String], original: Tensor, customizedFull: Tensor,
                               customizedBase: Tensor, evaluator: WorldEvaluator,
                               bootstrap: Bootstrap = Bootstrap()) throws -> CustomizationMetrics {
        let n = original.shape[0]
        guard customizedFull.shape[0] == n, customizedBase.shape[0] == n, fullTexts.count == n, n >= 2 else {
            throw EvaluationError("the three image sets and the texts must have one entry per pair (at least 2)")
        }
        let reference = try evaluator.observe(original)
        let full = try evaluator.observe(customizedFull)
        let base = try evaluator.observe(customizedBase)
        func preservation(_ candidate: ImageObservations, _ images: Tensor) throws -> PreservationMetrics {
            var frechet = bootstrap
            frechet.replicates = min(bootstrap.replicates, frechetReplicates)
            let fd = try frechet.estimate(count: n, biasCorrected: true) { draw in
                try FrechetDistance.between(draw.map { reference.clip[$0] }, draw.map { candidate.clip[$0] })
            }
            return PreservationMetrics(
                frechetDistance: fd,
                perceptualDistance: bootstrap.mean(try evaluator.perceptualDistances(original, images)),
                identityAgreement: bootstrap.mean(PairMetrics.identityAgreement(reference, candidate)),
                clipImage: bootstrap.mean(PairMetrics.clipImageSimilarity(reference, candidate)),
                segmentationConsistency: bootstrap.mean(PairMetrics.segmentationConsistency(
                    reference, candidate, excluding: PairMetrics.regionLabels(of: target))))
        }
        return CustomizationMetrics(
            target: target.rawValue, pairs: n,
            fullText: try preservation(full, customizedFull),
            baseText: try preservation(base, customizedBase),
            clipText: bootstrap.mean(PairMetrics.clipTextSimilarity(full, texts: try evaluator.textEmbeddings(fullTexts))),
            targetDetection: bootstrap.mean(PairMetrics.targetDetected(full, target: target)),
            baseTextTargetRate: bootstrap.mean(PairMetrics.targetDetected(base, target: target)),
            originalTargetRate: bootstrap.mean(PairMetrics.targetDetected(reference, target: target)),
            textResponse: bootstrap.mean(zip(PairMetrics.targetDetected(full, target: target),
                                             PairMetrics.targetDetected(base, target: target)).map { $0 - $1 }))
    }
}
