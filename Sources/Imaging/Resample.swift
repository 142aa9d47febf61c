import Foundation

/// PIL's resampling filters (`Image.Resampling`), with their radius at scale 1.
public enum ResampleFilter: String, Codable, Sendable, CaseIterable {
    case box, bilinear, hamming, bicubic, lanczos

    var support: Double {
        switch self {
        case .box: 0.5
        case .bilinear, .hamming: 1
        case .bicubic: 2
        case .lanczos: 3
        }
    }

    /// The kernels of Pillow's libImaging/Resample.c, written with the same operations in the same order
    /// (and Pillow's float constants where it uses them) so that every coefficient has the same bits.
    func weight(_ x: Double) -> Double {
        switch self {
        case .box:
            return x > -0.5 && x <= 0.5 ? 1 : 0
        case .bilinear:
            let x = abs(x)
            return x < 1 ? 1 - x : 0
        case .hamming:
            let x = abs(x)
            if x == 0 { return 1 }
            if x >= 1 { return 0 }
            let t = x * Double.pi
            return sin(t) / t * (Double(Float(0.54)) + Double(Float(0.46)) * cos(t))
        case .bicubic:
            let a = -0.5
            let x = abs(x)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        case .lanczos:
            guard -3 <= x && x < 3 else { return 0 }
            return Self.sinc(x) * Self.sinc(x / 3)
        }
    }

    private static func sinc(_ x: Double) -> Double {
        if x == 0 { return 1 }
        let t = x * Double.pi
        return sin(t) / t
    }
}

extension RGBImage {
    /// `PIL.Image.resize((width, height), filter)` of an RGB image, bit for bit: Pillow's separable
    /// convolution (support widened by the downscale factor, which is its antialiasing), coefficients
    /// normalized to sum 1 and rounded to 22-bit fixed point, the horizontal pass first with its result
    /// rounded to 8 bits, then the vertical pass. Any size, up or down; the same size returns a copy.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter = .bilinear) throws -> RGBImage {
        guard newWidth > 0, newHeight > 0 else {
            throw ImageError(path: nil, "cannot resize \(width)x\(height) to \(newWidth)x\(newHeight)")
        }
        let vertical = ResampleAxis(inSize: height, outSize: newHeight, filter: filter)
        var source = pixels
        var sourceWidth = width
        var rowOffset = 0
        if newWidth != width {
            // Only the rows the vertical pass reads (Pillow's ybox_first..ybox_last).
            let first = vertical.starts[0]
            let last = vertical.starts[newHeight - 1] + vertical.counts[newHeight - 1]
            let horizontal = ResampleAxis(inSize: width, outSize: newWidth, filter: filter)
            source = horizontal.resampleRows(pixels, width: width, rows: first..<last)
            sourceWidth = newWidth
            rowOffset = first
        }
        if newHeight != height {
            source = vertical.resampleColumns(source, width: sourceWidth, rowOffset: rowOffset)
        }
        return try RGBImage(width: newWidth, height: newHeight, pixels: source)
    }
}

/// One axis of a resize: for each output position the first input index, how many inputs it reads, and
/// their fixed-point weights (Pillow's precompute_coeffs followed by normalize_coeffs_8bpc).
struct ResampleAxis {
    /// Pillow's PRECISION_BITS = 32 - 8 - 2: 8 bits of value and 2 for filters whose weights overshoot.
    static let precisionBits = 22

    let starts: [Int]
    let counts: [Int]
    let kernelSize: Int
    let weights: [Int]

    init(inSize: Int, outSize: Int, filter: ResampleFilter) {
        // Pillow takes the box as float32 (0, 0, width, height); in1 - in0 is float subtraction.
        let scale = Double(Float(inSize)) / Double(outSize)
        let filterScale = max(scale, 1)
        let support = filter.support * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        let inverseFilterScale = 1 / filterScale
        var starts = [Int](repeating: 0, count: outSize)
        var counts = [Int](repeating: 0, count: outSize)
        var weights = [Int](repeating: 0, count: outSize * kernelSize)
        var kernel = [Double](repeating: 0, count: kernelSize)
        for position in 0..<outSize {
            let center = (Double(position) + 0.5) * scale
            // C's (int) cast truncates toward zero, as Int(_: Double) does.
            let start = max(Int(center - support + 0.5), 0)
            let count = min(Int(center + support + 0.5), inSize) - start
            var sum = 0.0
            for i in 0..<count {
                let w = filter.weight((Double(i + start) - center + 0.5) * inverseFilterScale)
                kernel[i] = w
                sum += w
            }
            for i in 0..<count {
                let w = sum != 0 ? kernel[i] / sum : kernel[i]
                let scaled = w * Double(1 << Self.precisionBits)
                weights[position * kernelSize + i] = w < 0 ? Int(-0.5 + scaled) : Int(0.5 + scaled)
            }
            starts[position] = start
            counts[position] = count
        }
        self.starts = starts
        self.counts = counts
        self.kernelSize = kernelSize
        self.weights = weights
    }

    /// Pillow's clip8: the sum carries half a unit of rounding already; shift out the fraction and clamp.
    @inline(__always)
    static func clip8(_ sum: Int) -> UInt8 { UInt8(clamping: sum >> precisionBits) }

    /// The horizontal pass over `rows` of an interleaved RGB image `width` pixels wide.
    func resampleRows(_ pixels: [UInt8], width: Int, rows: Range<Int>) -> [UInt8] {
        let outWidth = starts.count
        var output = [UInt8](repeating: 0, count: outWidth * rows.count * 3)
        let half = 1 << (Self.precisionBits - 1)
        pixels.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { k in
                output.withUnsafeMutableBufferPointer { out in
                    for (row, y) in rows.enumerated() {
                        let line = y * width * 3
                        let outLine = row * outWidth * 3
                        for x in 0..<outWidth {
                            var r = half, g = half, b = half
                            let base = x * kernelSize
                            var p = line + starts[x] * 3
                            for i in 0..<counts[x] {
                                let w = k[base + i]
                                r += Int(input[p]) * w
                                g += Int(input[p + 1]) * w
                                b += Int(input[p + 2]) * w
                                p += 3
                            }
                            out[outLine + x * 3] = Self.clip8(r)
                            out[outLine + x * 3 + 1] = Self.clip8(g)
                            out[outLine + x * 3 + 2] = Self.clip8(b)
                        }
                    }
                }
            }
        }
        return output
    }

    /// The vertical pass: every byte of a row is one channel of one pixel, filtered independently.
    /// Row `starts[y] - rowOffset` of `pixels` is input row `starts[y]`.
    func resampleColumns(_ pixels: [UInt8], width: Int, rowOffset: Int) -> [UInt8] {
        let rowBytes = width * 3
        let outHeight = starts.count
        var output = [UInt8](repeating: 0, count: rowBytes * outHeight)
        let half = 1 << (Self.precisionBits - 1)
        pixels.withUnsafeBufferPointer { input in
            weights.withUnsafeBufferPointer { k in
                output.withUnsafeMutableBufferPointer { out in
                    for y in 0..<outHeight {
                        let base = y * kernelSize
                        let first = (starts[y] - rowOffset) * rowBytes
                        for column in 0..<rowBytes {
                            var sum = half
                            var p = first + column
                            for i in 0..<counts[y] {
                                sum += Int(input[p]) * k[base + i]
                                p += rowBytes
                            }
                            out[y * rowBytes + column] = Self.clip8(sum)
                        }
                    }
                }
            }
        }
        return output
    }
}
