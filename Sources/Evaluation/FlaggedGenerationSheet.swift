import Imaging

extension FlaggedGeneration {
    /// The generation with the pixels the probe labels as a target tinted magenta: where the probe sees it.
    public func targetOverlay() throws -> RGBImage {
        guard targetPixels.count == generated.width * generated.height else {
            throw ImageError(path: nil, "a label map of \(targetPixels.count) pixels for a \(generated.width)x\(generated.height) image")
        }
        var pixels = generated.pixels
        for (i, isTarget) in targetPixels.enumerated() where isTarget {
            for (c, tint) in [255.0, 0, 255].enumerated() {
                pixels[3 * i + c] = UInt8((Double(pixels[3 * i + c]) * 0.4 + tint * 0.6).rounded())
            }
        }
        return try RGBImage(width: generated.width, height: generated.height, pixels: pixels)
    }

    /// One sheet for many flagged generations: blocks of three rows (the caption's render, the generation, the
    /// generation with the probe's target pixels tinted), `columns` generations per block, each image scaled
    /// by `scale` (box filter: whole pixels, nothing smoothed).
    public static func sheet(_ flagged: [FlaggedGeneration], columns: Int = 12, scale: Int = 2) throws -> RGBImage {
        guard columns > 0, scale > 0 else { throw ImageError(path: nil, "a sheet needs columns and scale > 0") }
        func scaled(_ image: RGBImage) throws -> RGBImage {
            scale == 1 ? image : try image.resized(width: image.width * scale, height: image.height * scale, filter: .box)
        }
        var rows: [[RGBImage]] = []
        for start in stride(from: 0, to: flagged.count, by: columns) {
            let block = flagged[start..<min(start + columns, flagged.count)]
            rows.append(try block.map { try scaled($0.rendered) })
            rows.append(try block.map { try scaled($0.generated) })
            rows.append(try block.map { try scaled($0.targetOverlay()) })
        }
        return try ImageGrid.make(rows)
    }
}
