import Torch

extension RGBImage {
    /// The `width` x `height` region whose top-left pixel is (`left`, `top`); it must lie inside the image
    /// (unlike PIL's crop, which pads with black: a padded training crop would be a silent bug).
    public func cropped(left: Int, top: Int, width newWidth: Int, height newHeight: Int) throws -> RGBImage {
        guard left >= 0, top >= 0, newWidth > 0, newHeight > 0, left + newWidth <= width, top + newHeight <= height else {
            throw ImageError(path: nil, "crop \(newWidth)x\(newHeight) at (\(left), \(top)) is outside the \(width)x\(height) image")
        }
        var out = [UInt8]()
        out.reserveCapacity(newWidth * newHeight * 3)
        for y in top..<(top + newHeight) {
            let start = (y * width + left) * 3
            out += pixels[start..<(start + newWidth * 3)]
        }
        return try RGBImage(width: newWidth, height: newHeight, pixels: out)
    }

    /// Mirrored left to right (PIL's FLIP_LEFT_RIGHT, torchvision's hflip).
    public func flippedHorizontally() -> RGBImage {
        var out = pixels
        for y in 0..<height {
            let row = y * width * 3
            for x in 0..<width {
                let from = row + (width - 1 - x) * 3
                let to = row + x * 3
                out[to] = pixels[from]
                out[to + 1] = pixels[from + 1]
                out[to + 2] = pixels[from + 2]
            }
        }
        var copy = self
        copy.pixels = out
        return copy
    }

    /// The size torchvision's `Resize(size)` (an int) gives: the shorter side becomes `size`, the longer
    /// `int(size * long / short)` (Python's true division, then truncation), orientation kept.
    public static func shorterSideSize(width: Int, height: Int, to size: Int) -> (width: Int, height: Int) {
        let (short, long) = width <= height ? (width, height) : (height, width)
        let newLong = Int(Double(size * long) / Double(short))
        return width <= height ? (size, newLong) : (newLong, size)
    }

    /// torchvision's `ToTensor()` then `Normalize([0.5], [0.5])`: a float32 [3, H, W] tensor of
    /// (v / 255 - 0.5) / 0.5, each step rounded to float32 as PyTorch rounds it (the division is IEEE, so a
    /// 256-entry table holds every possible value with the same bits).
    public func normalizedTensor(device: Device = .cpu) throws -> Tensor {
        let table = (0...255).map { (Float($0) / 255 - 0.5) / 0.5 }
        let plane = width * height
        var values = [Float](repeating: 0, count: 3 * plane)
        for i in 0..<plane {
            values[i] = table[Int(pixels[i * 3])]
            values[plane + i] = table[Int(pixels[i * 3 + 1])]
            values[2 * plane + i] = table[Int(pixels[i * 3 + 2])]
        }
        return try Tensor(values, shape: [3, height, width], device: device)
    }
}
