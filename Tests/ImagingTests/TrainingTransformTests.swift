import Foundation
import Imaging
import ParityTesting
import Torch
import XCTest

/// The train_text_to_image.py preprocessing: the whole chain against torchvision's (mirrored in
/// tools/reference/image_fixtures.py and checked there against torchvision itself), and the random draws
/// against torch's generator.
final class TrainingTransformTests: XCTestCase {
    /// Resize, center crop, ToTensor, Normalize. The resize is integer arithmetic and the conversion is
    /// (v / 255 - 0.5) / 0.5 with each IEEE operation correctly rounded, so the bits are the same on any CPU.
    func testCenterChainMatchesDiffusers() throws {
        let cases = try ImageFixtureCases.load()
        let expected = try imageFixtures.load("image_transform")
        for entry in cases.center {
            let source = try entry.string("source"), resolution = try entry.int("resolution")
            let image = try sourceImage(source)
            let size = RGBImage.shorterSideSize(width: image.width, height: image.height, to: resolution)
            XCTAssertEqual(size.width, try entry.int("resized_width"))
            XCTAssertEqual(size.height, try entry.int("resized_height"))
            let transform = TrainingTransform(resolution: resolution, crop: .center, flip: false)
            let (tensor, placement) = try transform.apply(image)
            XCTAssertEqual(placement, .init(top: try entry.int("top"), left: try entry.int("left"), flipped: false), source)
            try assertParity(tensor, expected.tensor("center/\(source)/\(resolution)"), .exact,
                             "center \(source) \(image.width)x\(image.height) at \(resolution)", in: imageFixtures)
            XCTAssertEqual(try transform(image).bytes(), try tensor.bytes())
        }
    }

    /// Random crops and flips drawn from a seeded generator, image after image, land where torchvision's
    /// draws from the same seed land (torch.randint for row then column, torch.rand(1) < 0.5 for the flip,
    /// and no crop draw at all for an image that already has the crop's size).
    func testRandomDrawsReplayTorchvision() throws {
        let cases = try ImageFixtureCases.load()
        let expected = try imageFixtures.load("image_transform")
        for entry in cases.random {
            let name = try entry.string("name")
            let transform = TrainingTransform(resolution: try entry.int("resolution"),
                                              crop: try XCTUnwrap(TrainingTransform.Crop(rawValue: try entry.string("crop"))),
                                              flip: try XCTUnwrap(entry["flip"] as? Bool))
            let generator = try Generator(seed: UInt64(try entry.int("seed")))
            let sources = try XCTUnwrap(entry["sources"] as? [String])
            let placements = try XCTUnwrap(entry["placements"] as? [[String: Any]])
            for (k, source) in sources.enumerated() {
                let (image, placement) = try transform.transformedImage(try sourceImage(source), generator: generator)
                let want = TrainingTransform.Placement(top: try placements[k].int("top"), left: try placements[k].int("left"),
                                                       flipped: try XCTUnwrap(placements[k]["flipped"] as? Bool))
                XCTAssertEqual(placement, want, "\(name)[\(k)] \(source)")
                XCTAssertEqual(image, try rgbImage(expected.tensor("random/\(name)/\(k)")), "\(name)[\(k)] \(source)")
            }
        }
    }

    /// A run resumed from a saved generator state augments the following images exactly as before.
    func testResumingFromGeneratorStateRepeatsAugmentation() throws {
        let transform = TrainingTransform(resolution: 20, crop: .random, flip: true)
        let images = try ["landscape", "portrait", "square", "tiny"].map(sourceImage)
        let generator = try Generator(seed: 99)
        for image in images.prefix(2) { _ = try transform.apply(image, generator: generator) }
        let saved = try generator.state()
        let first = try images.map { try transform.transformedImage($0, generator: generator).placement }
        let resumed = try Generator(seed: 1)
        try resumed.setState(saved)
        let second = try images.map { try transform.transformedImage($0, generator: resumed).placement }
        XCTAssertEqual(first, second)
    }

    /// Offsets cover exactly 0...(size - resolution) on each axis; flips come up about half the time.
    func testRandomCropRangesAndFlipRate() throws {
        let transform = TrainingTransform(resolution: 20, crop: .random, flip: true)
        let generator = try Generator(seed: 3)
        for (source, rows, columns) in [("landscape", 0...0, 0...9), ("portrait", 0...10, 0...0)] {
            let image = try sourceImage(source)
            var tops = Set<Int>(), lefts = Set<Int>(), flips = 0
            for _ in 0..<200 {
                let placement = try transform.transformedImage(image, generator: generator).placement
                tops.insert(placement.top)
                lefts.insert(placement.left)
                flips += placement.flipped ? 1 : 0
            }
            XCTAssertEqual(tops, Set(rows), source)
            XCTAssertEqual(lefts, Set(columns), source)
            XCTAssert((70...130).contains(flips), "\(source): \(flips) flips of 200")
        }
    }

    func testConfigurationIsCodableAndValidated() throws {
        let transform = TrainingTransform(resolution: 512, crop: .random, flip: true)
        let data = try JSONEncoder().encode(transform)
        XCTAssertEqual(try JSONDecoder().decode(TrainingTransform.self, from: data), transform)
        let decoded = try JSONDecoder().decode(TrainingTransform.self, from: Data(#"{"resolution":64,"crop":"center","flip":false}"#.utf8))
        XCTAssertEqual(decoded, TrainingTransform(resolution: 64))
        XCTAssertFalse(decoded.isRandom)

        let image = try sourceImage("tiny")
        XCTAssertNoThrow(try decoded.apply(image))  // center, no flip: no generator needed
        XCTAssertThrowsError(try transform.apply(image)) { XCTAssert("\($0)".contains("generator"), "\($0)") }
        XCTAssertThrowsError(try TrainingTransform(resolution: 64, crop: .center, flip: true).apply(image))
        XCTAssertThrowsError(try TrainingTransform(resolution: 0).apply(image))
    }

    func testGeometryHelpers() throws {
        XCTAssert(RGBImage.shorterSideSize(width: 1024, height: 768, to: 512) == (682, 512))
        XCTAssert(RGBImage.shorterSideSize(width: 768, height: 1024, to: 512) == (512, 682))
        XCTAssert(RGBImage.shorterSideSize(width: 300, height: 300, to: 512) == (512, 512))
        let image = try sourceImage("tiny")
        XCTAssertEqual(image.flippedHorizontally().flippedHorizontally(), image)
        let flipped = image.flippedHorizontally()
        XCTAssertEqual(Array(flipped.pixels[0..<3]), Array(image.pixels[(image.width - 1) * 3..<(image.width * 3)]))
        let crop = try image.cropped(left: 2, top: 3, width: 4, height: 5)
        XCTAssertEqual(crop.width, 4)
        XCTAssertEqual(Array(crop.pixels[0..<3]), Array(image.pixels[((3 * image.width + 2) * 3)..<((3 * image.width + 2) * 3 + 3)]))
        XCTAssertThrowsError(try image.cropped(left: 12, top: 0, width: 4, height: 4))
        XCTAssertThrowsError(try image.cropped(left: -1, top: 0, width: 4, height: 4))
    }

    func testNormalizedTensorIsToTensorThenNormalize() throws {
        let image = try RGBImage(width: 2, height: 1, pixels: [0, 128, 255, 64, 1, 254])
        let tensor = try image.normalizedTensor()
        XCTAssertEqual(tensor.shape, [3, 1, 2])
        XCTAssertEqual(tensor.dtype, .float32)
        let values = try tensor.floats()
        let expected: [Float] = [0, 64, 128, 1, 255, 254].map { (Float($0) / 255 - 0.5) / 0.5 }  // CHW order
        XCTAssertEqual(values, expected)
        XCTAssertEqual(values[0], -1)
        XCTAssertEqual(values[4], 1)
    }
}
