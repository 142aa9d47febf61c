import Foundation
import Imaging
import Torch

/// The dataset's images as training tensors: decode, resize the shorter side to the resolution, crop,
/// optionally mirror, scale to [-1, 1]. Also checks every image before training (readable, large enough).
public struct ImageSource: Sendable {
    public let directory: String
    public let resolution: Int

    public init(directory: String, resolution: Int) {
        self.directory = directory
        self.resolution = resolution
    }

    public func path(_ record: CaptionRecord) -> String { (directory as NSString).appendingPathComponent(record.fileName) }

    public func read(_ record: CaptionRecord) throws -> RGBImage { try PNGReader.read(path(record)) }

    /// SHA-256 of the file's bytes (the latent cache key).
    public func contentHash(_ record: CaptionRecord) throws -> String {
        guard let data = FileManager.default.contents(atPath: path(record)) else {
            throw DatasetRowError("\(record.fileName): cannot be read")
        }
        return Fingerprint.of(bytes: [UInt8](data))
    }

    /// [3, R, R] in [-1, 1]: shorter side resized to R (bilinear), center crop, mirrored when `flip`.
    public func pixels(_ record: CaptionRecord, flip: Bool) throws -> Tensor {
        try pixels(record, flip: flip, crop: nil)
    }

    /// A random crop and flip, drawn from `generator` as torchvision's RandomCrop (randint for the top, then
    /// the left offset) and RandomHorizontalFlip (rand < 0.5) draw them.
    public func randomPixels(_ record: CaptionRecord, flip: Bool, generator: Generator) throws -> Tensor {
        try pixels(record, flip: flip, crop: generator)
    }

    func pixels(_ record: CaptionRecord, flip: Bool, crop generator: Generator?) throws -> Tensor {
        let image = try read(record)
        var x = try image.tensor().unsqueeze(dim: 0)
        let scale = Double(resolution) / Double(min(image.width, image.height))
        let height = max(resolution, Int((Double(image.height) * scale).rounded()))
        let width = max(resolution, Int((Double(image.width) * scale).rounded()))
        if height != image.height || width != image.width {
            x = try x.interpolate(size: (height, width), mode: .bilinear)
        }
        var top = (height - resolution) / 2, left = (width - resolution) / 2
        var mirror = flip
        if let generator {
            top = try Tensor.randint(high: height - resolution + 1, [1], generator: generator).itemInt()
            left = try Tensor.randint(high: width - resolution + 1, [1], generator: generator).itemInt()
            mirror = try flip && Tensor.rand([1], generator: generator).item() < 0.5
        }
        x = try x.narrow(dim: 2, start: top, length: resolution).narrow(dim: 3, start: left, length: resolution)
        if mirror { x = try x.flip(dims: [3]) }
        return try x.squeeze(dim: 0).contiguous()
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
