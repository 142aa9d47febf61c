/// Images laid out in rows and columns on a background, for validation grids and reports: each cell as
/// large as the largest image, images centred in their cells, `gap` pixels between cells and around them.
public enum ImageGrid {
    public static func make(_ rows: [[RGBImage]], gap: Int = 2, background: (UInt8, UInt8, UInt8) = (255, 255, 255))
        throws -> RGBImage
    {
        let images = rows.flatMap { $0 }
        guard !images.isEmpty else { throw ImageError(path: nil, "an image grid needs at least one image") }
        let cellWidth = images.map(\.width).max()!, cellHeight = images.map(\.height).max()!
        let columns = rows.map(\.count).max()!
        let width = columns * cellWidth + (columns + 1) * gap
        let height = rows.count * cellHeight + (rows.count + 1) * gap
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            pixels[3 * i] = background.0
            pixels[3 * i + 1] = background.1
            pixels[3 * i + 2] = background.2
        }
        for (r, row) in rows.enumerated() {
            for (c, image) in row.enumerated() {
                let left = gap + c * (cellWidth + gap) + (cellWidth - image.width) / 2
                let top = gap + r * (cellHeight + gap) + (cellHeight - image.height) / 2
                for y in 0..<image.height {
                    let source = y * image.width * 3
                    let target = ((top + y) * width + left) * 3
                    pixels.replaceSubrange(target..<(target + image.width * 3),
                                           with: image.pixels[source..<(source + image.width * 3)])
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
