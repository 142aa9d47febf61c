import Diffusion
import PortraitWorld
import Torch
import WorldModels

/// The probe's sensitivity to targets where generations reach it: through the VAE. On the reconstructions of
/// held-out renders of the probe's own mixture, the fraction of the targets still visible in them
/// (`VisibleTargets`) that the probe reads. A target rate says how often the probe sees a target that is not
/// there; this says how often it misses one that is (what the demo's detections rely on).
public enum ReconstructedTargetRecall {
    public static func measure(probe: AttributeProbe, vae: AutoencoderKL, examples: RenderedExamples,
                               _ indices: Range<Int>, batchSize: Int = 32) throws -> (overall: Double, perTarget: [String: Double]) {
        let visibility = VisibleTargets(renderer: try PortraitRenderer(size: probe.config.imageSize))
        var seen: [PortraitTarget: Int] = [:], read: [PortraitTarget: Int] = [:]
        for start in stride(from: indices.lowerBound, to: indices.upperBound, by: batchSize) {
            let batch = try examples.batch(start..<min(start + batchSize, indices.upperBound))
            let reconstructions = try Tensor.withNoGrad { try vae.reconstruct(batch.pixels) }
            let predicted = try probe.predict(reconstructions).attributes
            for (r, attributes) in batch.attributes.enumerated() where !attributes.targets.active.isEmpty {
                let visible = try visibility.visible(in: reconstructions.select(dim: 0, index: r),
                                                     render: batch.pixels.select(dim: 0, index: r), attributes: attributes)
                for target in visible {
                    seen[target, default: 0] += 1
                    if predicted[r][AttributeClass.column(of: target)] != 0 { read[target, default: 0] += 1 }
                }
            }
        }
        let total = seen.values.reduce(0, +)
        let perTarget = Dictionary(uniqueKeysWithValues: seen.map { ($0.key.rawValue, Double(read[$0.key] ?? 0) / Double($0.value)) })
        return (total > 0 ? Double(read.values.reduce(0, +)) / Double(total) : 0, perTarget)
    }
}
