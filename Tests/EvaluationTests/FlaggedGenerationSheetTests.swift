import Evaluation
import Imaging
import XCTest

final class FlaggedGenerationSheetTests: XCTestCase {
    func generation(_ index: Int, grey: UInt8, target: [Bool]) throws -> FlaggedGeneration {
        let image = try RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: grey, count: 12))
        let render = try RGBImage(width: 2, height: 2, pixels: [UInt8](repeating: 0, count: 12))
        return FlaggedGeneration(index: index, caption: "a man", targets: ["beard"], rendered: render,
                                 generated: image, targetPixels: target)
    }

    /// Only the pixels the probe labels as a target change, towards magenta.
    func testOverlayTintsTheTargetPixelsOnly() throws {
        let overlay = try generation(0, grey: 100, target: [true, false, false, true]).targetOverlay()
        XCTAssertEqual(Array(overlay.pixels[0..<3]), [193, 40, 193])
        XCTAssertEqual(Array(overlay.pixels[3..<9]), [UInt8](repeating: 100, count: 6))
        XCTAssertEqual(Array(overlay.pixels[9..<12]), [193, 40, 193])
        XCTAssertThrowsError(try generation(0, grey: 100, target: [true]).targetOverlay())
    }

    /// Blocks of three rows (render, generation, overlay), `columns` per block, images scaled by whole pixels.
    func testSheetLayout() throws {
        let flagged = try (0..<5).map { try generation($0, grey: 200, target: [false, false, false, false]) }
        let sheet = try FlaggedGeneration.sheet(flagged, columns: 3, scale: 3)
        XCTAssertEqual(sheet.width, 3 * (6 + 2) + 2)
        XCTAssertEqual(sheet.height, 6 * (6 + 2) + 2)
        // Row 2 (the generations) starts at y = 2 + 8; its first cell is grey 200 throughout (box upscaling).
        for y in 10..<16 {
            for x in 2..<8 { XCTAssertEqual(sheet.pixels[(y * sheet.width + x) * 3], 200) }
        }
        // The first row is the renders (black).
        XCTAssertEqual(sheet.pixels[(2 * sheet.width + 2) * 3], 0)
        XCTAssertThrowsError(try FlaggedGeneration.sheet(flagged, columns: 0))
    }
}
