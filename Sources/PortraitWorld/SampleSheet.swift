import Imaging

/// A grid of portraits for looking at the world: the first row from the pre-training distribution, then
/// one row per target from its fine-tuning distribution (the same examples its dataset with `seed` holds).
public enum SampleSheet {
    public static func render(seed: UInt64, columns: Int, size: Int = 64, gap: Int = 2) throws -> RGBImage {
        guard (1...32).contains(columns) else { throw WorldError("columns must be in 1...32, got \(columns)") }
        let sets = try [WorldDataset(kind: .pretrain, count: columns, seed: seed, size: size)]
            + PortraitTarget.allCases.map { try WorldDataset(kind: .finetune, target: $0, count: columns, seed: seed, size: size) }
        let renderer = try PortraitRenderer(size: size)
        let width = columns * size + (columns + 1) * gap
        let height = sets.count * size + (sets.count + 1) * gap
        var pixels = [UInt8](repeating: 255, count: width * height * 3)
        for (row, set) in sets.enumerated() {
            for column in 0..<columns {
                let image = try renderer.render(set.example(column).attributes).image
                let left = gap + column * (size + gap)
                let top = gap + row * (size + gap)
                for y in 0..<size {
                    let from = y * size * 3
                    let to = ((top + y) * width + left) * 3
                    pixels.replaceSubrange(to..<(to + size * 3), with: image.pixels[from..<(from + size * 3)])
                }
            }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}
