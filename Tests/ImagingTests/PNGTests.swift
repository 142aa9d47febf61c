import Foundation
import Imaging
import Torch
import XCTest

final class PNGTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-png-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    private func gradient(width: Int, height: Int) throws -> RGBImage {
        var pixels: [UInt8] = []
        for y in 0..<height {
            for x in 0..<width { pixels += [UInt8(x * 255 / max(width - 1, 1)), UInt8(y * 255 / max(height - 1, 1)), UInt8((x * y) % 256)] }
        }
        return try RGBImage(width: width, height: height, pixels: pixels)
    }

    func testRoundTripThroughLibpngWithText() throws {
        let image = try gradient(width: 37, height: 20)
        let path = directory.appendingPathComponent("a.png").path
        let text = [(key: "prompt", value: "a woman, in a brown jacket, blonde hair"), (key: "seed", value: "42"),
                    (key: "note", value: "unicode ✓ é 漢字")]
        try PNGWriter.write(image, text: text, to: path)
        XCTAssertEqual(try PNGReader.read(path), image)  // libpng checks every CRC and the zlib stream
        let read = try PNGReader.text(path)
        XCTAssertEqual(read.map(\.key), text.map(\.key))
        XCTAssertEqual(read.map(\.value), text.map(\.value))
    }

    func testOverwriteReplacesAtomically() throws {
        let path = directory.appendingPathComponent("b.png").path
        try PNGWriter.write(try gradient(width: 4, height: 4), to: path)
        let second = try gradient(width: 8, height: 2)
        try PNGWriter.write(second, to: path)
        XCTAssertEqual(try PNGReader.read(path), second)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["b.png"])
    }

    func testBrokenFilesNameThePath() throws {
        let path = directory.appendingPathComponent("broken.png").path
        let bytes = try PNGWriter.encode(try gradient(width: 16, height: 16))
        try Data(bytes.prefix(bytes.count / 2)).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try PNGReader.read(path)) { XCTAssert("\($0)".hasPrefix(path + ": "), "\($0)") }

        let text = directory.appendingPathComponent("text.png").path
        try Data("not an image".utf8).write(to: URL(fileURLWithPath: text))
        XCTAssertThrowsError(try PNGReader.read(text)) { XCTAssert("\($0)".contains("not a readable PNG"), "\($0)") }
        XCTAssertThrowsError(try PNGReader.read(directory.appendingPathComponent("none.png").path)) {
            XCTAssert("\($0)".contains("no such file"), "\($0)")
        }
    }

    func testWriteIntoMissingFolderFailsAndLeavesNothing() throws {
        let path = directory.appendingPathComponent("missing/x.png").path
        XCTAssertThrowsError(try PNGWriter.write(try gradient(width: 2, height: 2), to: path)) {
            XCTAssert("\($0)".hasPrefix(path), "\($0)")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), [])
    }

    func testInvalidKeywordAndSizes() throws {
        XCTAssertThrowsError(try PNGWriter.encode(try gradient(width: 2, height: 2), text: [(key: "", value: "x")]))
        XCTAssertThrowsError(try RGBImage(width: 2, height: 2, pixels: [0, 0, 0]))
        XCTAssertThrowsError(try RGBImage(width: 0, height: 2, pixels: []))
    }

    func testTensorConversionMatchesDiffusersPostprocessing() throws {
        // diffusers: (x / 2 + 0.5).clamp(0, 1) * 255, rounded.
        let values: [Float] = [-1, -0.5, 0, 0.5, 1, 2, -3, 0.001, 0.999, -0.999, 0.25, 0.75]
        let tensor = try Tensor(values, shape: [3, 2, 2])
        let image = try RGBImage(tensor: tensor)
        let expected = values.map { UInt8((min(max(($0 / 2 + 0.5), 0), 1) * 255).rounded()) }
        // pixels are HWC; the tensor is CHW
        for c in 0..<3 { for i in 0..<4 { XCTAssertEqual(image.pixels[i * 3 + c], expected[c * 4 + i]) } }
        let back = try image.tensor()
        XCTAssertEqual(back.shape, [3, 2, 2])
        XCTAssertEqual(try back.floats()[4], Float(image.pixels[1]) / 127.5 - 1, accuracy: 1e-6)
    }
}
