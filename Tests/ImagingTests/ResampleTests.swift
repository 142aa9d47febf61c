import Imaging
import ParityTesting
import Torch
import XCTest

/// Our resize against Pillow's `Image.resize` on the same 8-bit pixels: integer arithmetic after
/// identically computed coefficients, so every byte must be equal on any machine.
final class ResampleTests: XCTestCase {
    func testEveryFilterMatchesPillowExactly() throws {
        let cases = try ImageFixtureCases.load()
        let expected = try imageFixtures.load("image_resize")
        XCTAssertGreaterThanOrEqual(cases.resize.count, 15)
        for entry in cases.resize {
            let source = try entry.string("source"), filterName = try entry.string("filter")
            let width = try entry.int("width"), height = try entry.int("height")
            let filter = try XCTUnwrap(ResampleFilter(rawValue: filterName))
            let image = try sourceImage(source)
            let ours = try image.resized(width: width, height: height, filter: filter)
            let pillow = try rgbImage(expected.tensor("resize/\(source)/\(filterName)/\(width)x\(height)"))
            let differing = zip(ours.pixels, pillow.pixels).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "\(source) \(image.width)x\(image.height) -> \(width)x\(height) \(filterName)")
        }
    }

    func testSameSizeIsACopyAndBadSizesThrow() throws {
        let image = try sourceImage("landscape")
        XCTAssertEqual(try image.resized(width: image.width, height: image.height), image)
        XCTAssertThrowsError(try image.resized(width: 0, height: 4))
        XCTAssertThrowsError(try image.resized(width: 4, height: -1))
    }

    func testConstantImageStaysConstant() throws {
        // Normalized coefficients sum to one (within fixed-point rounding): no drift on flat areas.
        let flat = try RGBImage(width: 9, height: 7, pixels: [UInt8](repeating: 200, count: 9 * 7 * 3))
        for filter in ResampleFilter.allCases {
            for (w, h) in [(4, 3), (23, 17), (9, 2)] {
                XCTAssertEqual(Set(try flat.resized(width: w, height: h, filter: filter).pixels), [200], "\(filter) \(w)x\(h)")
            }
        }
    }
}
