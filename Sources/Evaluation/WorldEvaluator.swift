import CLIP
import Foundation
import PortraitWorld
import Tokenizers
import Torch
import WorldModels

/// What the evaluator reads from one set of images (index i of every array is image i).
public struct ImageObservations: Sendable {
    /// The world CLIP's image embeddings, L2-normalized.
    public var clip: [[Double]]
    /// The probe's class of every attribute (`AttributeClass.all` order).
    public var attributes: [[Int]]
    /// The probe's segmentation, one label id per pixel (row-major H x W).
    public var labels: [[UInt8]]
    public var count: Int { clip.count }

    public init(clip: [[Double]], attributes: [[Int]], labels: [[UInt8]]) {
        self.clip = clip
        self.attributes = attributes
        self.labels = labels
    }
}

/// The frozen networks every metric reads: the world's CLIP (image and text towers with projections) and the
/// attribute probe. Images are [N, 3, 64, 64] in [-1, 1], as the pipeline decodes them.
public final class WorldEvaluator {
    public let clip: CLIPModel
    public let tokenizer: CLIPTokenizer
    public let probe: AttributeProbe
    let preprocessing: CLIPImagePreprocessing
    public var batchSize = 32

    public init(clip: CLIPModel, tokenizer: CLIPTokenizer, probe: AttributeProbe) {
        self.clip = clip
        self.tokenizer = tokenizer
        self.probe = probe
        preprocessing = CLIPImagePreprocessing(clip.config.visionConfig)
    }

    /// `clip`: a transformers CLIPModel folder with its tokenizer files; `probe`: a probe folder.
    public convenience init(clipFolder: String, probeFolder: String) throws {
        self.init(clip: try CLIPModel.load(folder: clipFolder), tokenizer: try CLIPTokenizer(directory: clipFolder),
                  probe: try AttributeProbe.load(folder: probeFolder))
    }

    /// A world model folder's `clip/` and `probe/` (what `spf world export` ships as models/world).
    public convenience init(world: String) throws {
        try self.init(clipFolder: (world as NSString).appendingPathComponent("clip"),
                      probeFolder: (world as NSString).appendingPathComponent("probe"))
    }

    public func observe(_ images: Tensor) throws -> ImageObservations {
        try checkImages(images)
        var result = ImageObservations(clip: [], attributes: [], labels: [])
        try Tensor.withNoGrad {
            for start in stride(from: 0, to: images.shape[0], by: batchSize) {
                let batch = try images.narrow(dim: 0, start: start, length: min(batchSize, images.shape[0] - start))
                result.clip += try rows(normalized(clip.imageFeatures(preprocessing((batch / 2 + 0.5).clamp(min: 0, max: 1)))))
                let (attributes, labels) = try probe.predict(batch)
                result.attributes += attributes
                let flat = try labels.to(.uint8).reshape([labels.shape[0], -1])
                for b in 0..<flat.shape[0] { result.labels.append(try flat.select(dim: 0, index: b).toArray(UInt8.self)) }
            }
        }
        return result
    }

    /// The world CLIP's text embeddings, L2-normalized.
    public func textEmbeddings(_ texts: [String]) throws -> [[Double]] {
        let length = clip.config.textConfig.maxPositionEmbeddings
        return try Tensor.withNoGrad {
            let ids = texts.flatMap { tokenizer($0, maxLength: length).map(Int64.init) }
            return try rows(normalized(clip.textFeatures(Tensor(ids, shape: [texts.count, length]))))
        }
    }

    /// The LPIPS analogue, per pair: at every probe level, features unit-normalized over channels, the squared
    /// difference summed over channels and averaged over positions; then averaged over levels. 0 for identical
    /// images; at most 4.
    public func perceptualDistances(_ a: Tensor, _ b: Tensor) throws -> [Double] {
        try checkImages(a)
        guard a.shape == b.shape else { throw EvaluationError("paired image sets differ in shape: \(a.shape) vs \(b.shape)") }
        var result: [Double] = []
        try Tensor.withNoGrad {
            for start in stride(from: 0, to: a.shape[0], by: batchSize) {
                let n = min(batchSize, a.shape[0] - start)
                let fa = try probe.features(a.narrow(dim: 0, start: start, length: n))
                let fb = try probe.features(b.narrow(dim: 0, start: start, length: n))
                var sum = try Tensor.zeros([n])
                for (x, y) in zip(fa, fb) {
                    let d = try (unit(x) - unit(y)).pow(2).sum(dims: [1]).mean(dims: [1, 2])
                    sum = try sum + d
                }
                result += try (sum / Double(fa.count)).to(.float64).toArray(Double.self)
            }
        }
        return result
    }

    func unit(_ x: Tensor) throws -> Tensor { try x / (x.pow(2).sum(dims: [1], keepDim: true).sqrt() + 1e-10) }

    func normalized(_ x: Tensor) throws -> Tensor { try x / x.pow(2).sum(dims: [-1], keepDim: true).sqrt() }

    func rows(_ x: Tensor) throws -> [[Double]] {
        let flat = try x.to(.float64).contiguous().toArray(Double.self)
        let d = x.shape[1]
        return (0..<x.shape[0]).map { Array(flat[($0 * d)..<(($0 + 1) * d)]) }
    }

    func checkImages(_ images: Tensor) throws {
        let size = probe.config.imageSize
        guard images.ndim == 4, images.shape[1] == 3, images.shape[2] == size, images.shape[3] == size else {
            throw EvaluationError("the evaluator reads [N, 3, \(size), \(size)] images, got \(images.shape)")
        }
    }
}
