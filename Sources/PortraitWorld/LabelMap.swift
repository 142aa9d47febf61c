import CZlib
import Foundation
import Imaging

/// The class of a pixel in a label map (ground truth for evaluation only; never a training input).
/// The ids are stable: they are what label PNGs store.
public enum PortraitLabel: UInt8, CaseIterable, Codable, Sendable, CustomStringConvertible {
    case background = 0
    /// Face, ears, neck, and shoulders a dress leaves bare (the nose too).
    case skin = 1
    /// Hair and eyebrows.
    case hair = 2
    /// Eye whites, irises, pupils.
    case eyes = 3
    case mouth = 4
    /// Any clothing of the identity/scene attributes (collars and inner shirts included).
    case clothing = 5
    case hat = 6
    case sunglasses = 7
    case beard = 8
    case freckles = 9
    case earrings = 10
    case dress = 11

    public var description: String { name }
    public var name: String {
        switch self {
        case .background: "background"
        case .skin: "skin"
        case .hair: "hair"
        case .eyes: "eyes"
        case .mouth: "mouth"
        case .clothing: "clothing"
        case .hat: "hat"
        case .sunglasses: "sunglasses"
        case .beard: "beard"
        case .freckles: "freckles"
        case .earrings: "earrings"
        case .dress: "dress"
        }
    }
}

/// Per-pixel `PortraitLabel` ids, rows top to bottom, one byte per pixel. A pixel carries the target class
/// (hat ... dress) that covers at least 4 of its 16 supersamples, if any (the one covering most); otherwise
/// the class covering most of them (ties go to the larger id).
public struct LabelMap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var ids: [UInt8]

    public init(width: Int, height: Int, ids: [UInt8]) throws {
        guard width > 0, height > 0, ids.count == width * height else {
            throw WorldError("a \(width)x\(height) label map needs \(width * height) ids, got \(ids.count)")
        }
        if let bad = ids.first(where: { PortraitLabel(rawValue: $0) == nil }) {
            throw WorldError("label id \(bad) is not a PortraitLabel (0...\(PortraitLabel.allCases.count - 1))")
        }
        self.width = width
        self.height = height
        self.ids = ids
    }

    public subscript(x: Int, y: Int) -> PortraitLabel { PortraitLabel(rawValue: ids[y * width + x])! }

    /// How many pixels carry `label`.
    public func count(of label: PortraitLabel) -> Int { ids.reduce(0) { $0 + ($1 == label.rawValue ? 1 : 0) } }

    /// Pixel indices (y * width + x) that carry `label`.
    public func pixels(of label: PortraitLabel) -> [Int] { ids.indices.filter { ids[$0] == label.rawValue } }

    /// An 8-bit grayscale PNG whose values are the ids (the usual segmentation-mask file: PIL's
    /// `np.array(Image.open(path))` gives the ids back).
    public func pngBytes() throws -> [UInt8] { try GrayscalePNG.encode(width: width, height: height, values: ids) }

    /// Writes `pngBytes()` atomically (temporary file, then rename).
    public func write(to path: String) throws { try AtomicWrite.write(pngBytes(), to: path) }

    /// Reads a label PNG written by `write(to:)` (any PNG whose gray or red values are valid ids).
    public static func read(path: String) throws -> LabelMap {
        let image = try PNGReader.read(path)
        var ids = [UInt8](repeating: 0, count: image.width * image.height)
        for i in ids.indices { ids[i] = image.pixels[i * 3] }
        do {
            return try LabelMap(width: image.width, height: image.height, ids: ids)
        } catch let error as WorldError {
            throw WorldError("\(path): \(error.description)")
        }
    }

    /// The label map as colours (for looking at it), one colour per class.
    public func preview() throws -> RGBImage {
        let colors: [RGBColor] = [
            RGBColor(0, 0, 0), RGBColor(230, 190, 160), RGBColor(120, 70, 30), RGBColor(40, 120, 240),
            RGBColor(220, 40, 80), RGBColor(60, 160, 90), RGBColor(250, 30, 30), RGBColor(120, 0, 160),
            RGBColor(90, 50, 10), RGBColor(255, 140, 0), RGBColor(255, 230, 0), RGBColor(0, 220, 220),
        ]
        var pixels = [UInt8](repeating: 0, count: ids.count * 3)
        for (i, id) in ids.enumerated() {
            let c = colors[Int(id)]
            pixels[i * 3] = c.r
            pixels[i * 3 + 1] = c.g
            pixels[i * 3 + 2] = c.b
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }
}

/// 8-bit grayscale PNG (colour type 0) over zlib: signature, IHDR, IDAT of filter-0 rows, IEND.
enum GrayscalePNG {
    static func encode(width: Int, height: Int, values: [UInt8]) throws -> [UInt8] {
        precondition(values.count == width * height)
        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        appendChunk("IHDR", bigEndian(UInt32(width)) + bigEndian(UInt32(height)) + [8, 0, 0, 0, 0], to: &png)
        var raw = [UInt8]()
        raw.reserveCapacity((width + 1) * height)
        for row in 0..<height {
            raw.append(0)
            raw += values[(row * width)..<((row + 1) * width)]
        }
        var length = compressBound(uLong(raw.count))
        var compressed = [UInt8](repeating: 0, count: Int(length))
        let status = raw.withUnsafeBufferPointer { source in
            compressed.withUnsafeMutableBufferPointer { compress2($0.baseAddress, &length, source.baseAddress, uLong(source.count), 9) }
        }
        guard status == Z_OK else { throw WorldError("zlib compression failed (\(status))") }
        appendChunk("IDAT", Array(compressed.prefix(Int(length))), to: &png)
        appendChunk("IEND", [], to: &png)
        return png
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }

    private static func appendChunk(_ type: String, _ data: [UInt8], to png: inout [UInt8]) {
        let typeBytes = Array(type.utf8)
        png += bigEndian(UInt32(data.count)) + typeBytes + data
        var crc = crc32(0, nil, 0)
        crc = typeBytes.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, uInt($0.count)) }
        png += bigEndian(UInt32(crc))
    }
}

/// Whole-file writes that never leave a partial file at the destination.
enum AtomicWrite {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try Data(bytes).write(to: temporary)
        } catch {
            throw WorldError("\(path): cannot write (\(error.localizedDescription))")
        }
        guard rename(temporary.path, path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw WorldError("\(path): cannot rename into place (\(reason))")
        }
    }

    static func write(_ text: String, to path: String) throws { try write(Array(text.utf8), to: path) }
}
