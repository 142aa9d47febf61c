extension RGBImage {
    /// This image with `map` ([height, width] in [0, 1], bilinearly upsampled) as a heat map blended over it.
    public func heatMapOverlay(_ map: [Float], height: Int, width: Int, opacity: Float = 0.55) throws -> RGBImage {
        let image = self
        var pixels = image.pixels
        for y in 0..<image.height {
            for x in 0..<image.width {
                // Pixel centres to map coordinates (align_corners = false, as torch's bilinear).
                let my = max(0, min(Float(height - 1), (Float(y) + 0.5) * Float(height) / Float(image.height) - 0.5))
                let mx = max(0, min(Float(width - 1), (Float(x) + 0.5) * Float(width) / Float(image.width) - 0.5))
                let (y0, x0) = (Int(my), Int(mx))
                let (y1, x1) = (min(y0 + 1, height - 1), min(x0 + 1, width - 1))
                let (fy, fx) = (my - Float(y0), mx - Float(x0))
                let top = map[y0 * width + x0] * (1 - fx) + map[y0 * width + x1] * fx
                let bottom = map[y1 * width + x0] * (1 - fx) + map[y1 * width + x1] * fx
                let value = max(0, min(1, top * (1 - fy) + bottom * fy))
                let colour = Self.heatColour(value)
                for c in 0..<3 {
                    let index = (y * image.width + x) * 3 + c
                    pixels[index] = UInt8((Float(pixels[index]) * (1 - opacity) + colour[c] * opacity).rounded())
                }
            }
        }
        return try RGBImage(width: image.width, height: image.height, pixels: pixels)
    }

    /// A perceptually ordered dark-blue -> red -> yellow ramp (0 -> 1).
    static func heatColour(_ v: Float) -> [Float] {
        let stops: [(Float, [Float])] = [(0, [20, 20, 90]), (0.35, [120, 30, 140]), (0.65, [230, 60, 40]), (1, [255, 230, 80])]
        for i in 1..<stops.count where v <= stops[i].0 {
            let (a, b) = (stops[i - 1], stops[i])
            let t = (v - a.0) / (b.0 - a.0)
            return (0..<3).map { a.1[$0] + (b.1[$0] - a.1[$0]) * t }
        }
        return stops.last!.1
    }
}
