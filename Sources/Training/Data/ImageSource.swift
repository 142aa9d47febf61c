import Foundation
import Imaging
import Torch

/// The dataset's images as training tensors through `TrainingTransform` (diffusers' train_text_to_image
/// preprocessing: PIL-exact bilinear resize of the shorter side, crop, optional flip, [-1, 1]), and the
/// check of every image before training (readable, not truncated, large enough).
public struct ImageSource: Sendable {
    public let directory: String
    public let resolution: Int
    public let crop: CropMode
    public let flip: Bool

    public init(directory: String, resolution: Int, crop: CropMode = .center, flip: Bool = false) {
        self.directory = directory
        self.resolution = resolution
        self.crop = crop
        self.flip = flip
    }

    public init(config: TrainingConfig) {
        self.init(directory: config.data, resolution: config.resolution, crop: config.crop, flip: config.flip)
    }

    public func path(_ record: CaptionRecord) -> String { (directory as NSString).appendingPathComponent(record.fileName) }

    public func read(_ record: CaptionRecord) throws -> RGBImage { try ImageFile.read(path: path(record)) }

    /// SHA-256 of the file's bytes (the latent cache key).
    public func contentHash(_ record: CaptionRecord) throws -> String { try Fingerprint.ofFile(path(record)) }

    /// [3, R, R] in [-1, 1] with a center crop, mirrored when `flip` (what the latent cache stores).
    public func pixels(_ record: CaptionRecord, flip mirrored: Bool) throws -> Tensor {
        let pixels = try TrainingTransform(resolution: resolution, crop: .center, flip: false)(read(record))
        return mirrored ? try pixels.flip(dims: [2]).contiguous() : pixels
    }

    /// The configured crop and flip, drawn from `generator` in torchvision's order (for uncached latents).
    public func randomPixels(_ record: CaptionRecord, generator: Generator) throws -> Tensor {
        let transform = TrainingTransform(resolution: resolution, crop: crop == .random ? .random : .center, flip: flip)
        return try transform(read(record), generator: generator)
    }

    /// Every problem of every record's image (missing, unreadable, truncated, too small), with line numbers.
    public func check(_ records: [CaptionRecord]) -> [(line: Int?, message: String)] {
        var problems: [(line: Int?, message: String)] = []
        for record in records {
            do {
                let image = try read(record)
                if min(image.width, image.height) < resolution {
                    problems.append((record.line, "\(record.fileName) is \(image.width)x\(image.height), smaller than "
                                     + "the training resolution \(resolution)"))
                }
            } catch {
                problems.append((record.line, "\(error)"))
            }
        }
        return problems
    }
}
