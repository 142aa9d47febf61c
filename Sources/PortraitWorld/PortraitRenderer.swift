import Imaging

/// A rendered portrait: the image and its per-pixel ground-truth classes.
public struct Portrait: Equatable, Sendable {
    public var image: RGBImage
    public var labels: LabelMap
    /// For each pixel, bit `id` is set when class `id` covers any of its 4x4 samples: the exact set of
    /// classes that contribute to the pixel's colour (edges and thin slivers included). In memory only.
    public var coverage: [UInt16]

    /// True when class `label` contributes to pixel `index` (y * width + x).
    public func covers(_ index: Int, _ label: PortraitLabel) -> Bool { coverage[index] & (1 << UInt16(label.rawValue)) != 0 }
}

/// Draws `PortraitAttributes` as a `size` x `size` RGB portrait with its label map. Flat-shaded shapes are
/// painted at 4x4 samples per pixel and box-averaged (exact integer means), so edges are anti-aliased the
/// same way everywhere. The renderer has no state and no randomness: the same attributes give the same
/// bytes, on every machine (see `Canvas` for the arithmetic rules).
public struct PortraitRenderer: Sendable {
    public let size: Int
    public static let supersampling = 4
    public static let sizeRange = 16...1024
    /// Bumped whenever a change to the drawing changes any pixel (recorded in world.json).
    public static let version = 1

    public init(size: Int = 64) throws {
        guard Self.sizeRange.contains(size) else {
            throw WorldError("image size must be in \(Self.sizeRange.lowerBound)...\(Self.sizeRange.upperBound), got \(size)")
        }
        self.size = size
    }

    public func render(_ attributes: PortraitAttributes) throws -> Portrait {
        try attributes.validate()
        let n = size * Self.supersampling
        var canvas = Canvas(width: n, height: n)
        paintBackground(attributes.scene, on: &canvas)
        Figure(attributes).paint(on: &canvas)
        if attributes.targets.sketch {
            Self.pencilSketch(&canvas)
        } else if attributes.scene.style == .cartoon {
            Self.outline(&canvas, color: nil)
        }
        var (pixels, ids, coverage) = Self.downsample(canvas, size: size)
        if attributes.scene.style == .photo && !attributes.targets.sketch {
            Self.light(&pixels, size: size, attributes.scene.lighting)
        }
        Self.cast(&pixels, attributes.scene.cast)
        return Portrait(image: try RGBImage(width: size, height: size, pixels: pixels),
                        labels: try LabelMap(width: size, height: size, ids: ids), coverage: coverage)
    }

    // MARK: - Background

    private func paintBackground(_ scene: PortraitAttributes.Scene, on canvas: inout Canvas) {
        let base = Palette.background(scene.backgroundColor)
        let shade = base.scaled(214)
        let dot = base.scaled(196)
        for j in 0..<canvas.height {
            let y = canvas.ys[j]
            let gradient = base.mixed(with: base.scaled(168), (256 * j) / canvas.height)
            for i in 0..<canvas.width {
                let x = canvas.xs[i]
                let color: RGBColor
                switch scene.background {
                case .plain:
                    color = base
                case .striped:
                    color = Int(((x + y) / 4).rounded(.down)) & 1 == 0 ? base : shade
                case .dotted:
                    let dx = x - 8 * (x / 8).rounded(.down) - 4
                    let dy = y - 8 * (y / 8).rounded(.down) - 4
                    color = dx * dx + dy * dy <= 2.56 ? dot : base
                case .checkered:
                    color = (Int((x / 8).rounded(.down)) + Int((y / 8).rounded(.down))) & 1 == 0 ? base : shade
                case .gradient:
                    color = gradient
                }
                let p = (j * canvas.width + i) * 3
                canvas.rgb[p] = color.r
                canvas.rgb[p + 1] = color.g
                canvas.rgb[p + 2] = color.b
            }
        }
    }

    // MARK: - Styles

    /// Lines where the class changes, 2 samples to each side (about one output pixel wide): in `color`,
    /// or (the cartoon style) in each region's own colour at 43% brightness, so that a line still shows
    /// which region it belongs to.
    static func outline(_ canvas: inout Canvas, color: RGBColor?) {
        let labels = canvas.labels
        let w = canvas.width
        let h = canvas.height
        for j in 0..<h {
            for i in 0..<w {
                let id = labels[j * w + i]
                var edge = false
                for d in 1...2 where !edge {
                    if i + d < w && labels[j * w + i + d] != id { edge = true }
                    if i - d >= 0 && labels[j * w + i - d] != id { edge = true }
                    if j + d < h && labels[(j + d) * w + i] != id { edge = true }
                    if j - d >= 0 && labels[(j - d) * w + i] != id { edge = true }
                }
                if edge {
                    let p = (j * w + i) * 3
                    let own = RGBColor(canvas.rgb[p], canvas.rgb[p + 1], canvas.rgb[p + 2])
                    let line = color ?? own.scaled(110)
                    canvas.rgb[p] = line.r
                    canvas.rgb[p + 1] = line.g
                    canvas.rgb[p + 2] = line.b
                }
            }
        }
    }

    /// The pencil-sketch target: paper, diagonal hatching whose density follows the luminance of the
    /// painted colours (4 levels), and pencil lines where the class changes.
    static func pencilSketch(_ canvas: inout Canvas) {
        let w = canvas.width
        for j in 0..<canvas.height {
            for i in 0..<w {
                let p = (j * w + i) * 3
                let luma = (77 * Int(canvas.rgb[p]) + 150 * Int(canvas.rgb[p + 1]) + 29 * Int(canvas.rgb[p + 2]) + 128) >> 8
                let a = (i + j) & 7 < 2
                let b = (i - j) & 7 < 2
                let c = (i + j) & 7 == 4 || (i + j) & 7 == 5
                let hatched: Bool
                switch luma {
                case 200...: hatched = false
                case 150..<200: hatched = a
                case 100..<150: hatched = a || b
                default: hatched = a || b || c
                }
                let color = hatched ? Palette.pencil : Palette.paper
                canvas.rgb[p] = color.r
                canvas.rgb[p + 1] = color.g
                canvas.rgb[p + 2] = color.b
            }
        }
        outline(&canvas, color: Palette.pencilLine)
    }

    // MARK: - Output

    /// A target class labels a pixel when it covers at least this many of its 16 samples.
    static let targetCoverage = 4

    /// 4x4 box mean of the colours ((sum + 8) >> 4); the label of each block: the target class covering
    /// the most samples if it covers at least `targetCoverage` of them (so that small targets such as
    /// freckles are labelled where they visibly change the pixel), else the class covering the most samples
    /// (ties to the larger id); and the bit set of classes present.
    static func downsample(_ canvas: Canvas, size: Int) -> ([UInt8], [UInt8], [UInt16]) {
        let f = supersampling
        let firstTarget = Int(PortraitLabel.hat.rawValue)
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        var ids = [UInt8](repeating: 0, count: size * size)
        var coverage = [UInt16](repeating: 0, count: size * size)
        var counts = [Int](repeating: 0, count: PortraitLabel.allCases.count)
        for y in 0..<size {
            for x in 0..<size {
                var r = 0, g = 0, b = 0
                for k in counts.indices { counts[k] = 0 }
                for j in (y * f)..<(y * f + f) {
                    for i in (x * f)..<(x * f + f) {
                        let q = j * canvas.width + i
                        r += Int(canvas.rgb[q * 3])
                        g += Int(canvas.rgb[q * 3 + 1])
                        b += Int(canvas.rgb[q * 3 + 2])
                        counts[Int(canvas.labels[q])] += 1
                    }
                }
                let o = y * size + x
                let area = f * f
                pixels[o * 3] = UInt8((r + area / 2) / area)
                pixels[o * 3 + 1] = UInt8((g + area / 2) / area)
                pixels[o * 3 + 2] = UInt8((b + area / 2) / area)
                var best = firstTarget
                for k in firstTarget..<counts.count where counts[k] >= counts[best] { best = k }
                if counts[best] < targetCoverage {
                    best = 0
                    for k in counts.indices where counts[k] >= counts[best] { best = k }
                }
                ids[o] = UInt8(best)
                var bits: UInt16 = 0
                for k in counts.indices where counts[k] > 0 { bits |= 1 << UInt16(k) }
                coverage[o] = bits
            }
        }
        return (pixels, ids, coverage)
    }

    /// Photo lighting: brightness falls linearly across the image from the lit side, +-19% (integer, in
    /// 1/256 per output pixel).
    static func light(_ pixels: inout [UInt8], size: Int, _ lighting: Lighting) {
        guard lighting != .even else { return }
        for y in 0..<size {
            for x in 0..<size {
                let factor: Int
                switch lighting {
                case .even: factor = 256
                case .left: factor = 256 + (48 * (size - 1 - 2 * x)) / size
                case .right: factor = 256 - (48 * (size - 1 - 2 * x)) / size
                case .top: factor = 256 + (48 * (size - 1 - 2 * y)) / size
                }
                let o = (y * size + x) * 3
                for c in 0..<3 { pixels[o + c] = RGBColor.scale(pixels[o + c], factor) }
            }
        }
    }

    static func cast(_ pixels: inout [UInt8], _ cast: ColorCast) {
        guard cast != .none else { return }
        let (gr, gg, gb) = Palette.cast(cast)
        for o in stride(from: 0, to: pixels.count, by: 3) {
            pixels[o] = RGBColor.scale(pixels[o], gr)
            pixels[o + 1] = RGBColor.scale(pixels[o + 1], gg)
            pixels[o + 2] = RGBColor.scale(pixels[o + 2], gb)
        }
    }
}
