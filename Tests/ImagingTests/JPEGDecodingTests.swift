import Foundation
import Imaging
import ParityTesting
import Torch
import XCTest

/// Our libjpeg-turbo decode against Pillow's (`Image.open(f).convert("RGB")`, its own bundled libjpeg-turbo).
final class JPEGDecodingTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("jpeg") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    /// Both sides decode with libjpeg's defaults (islow IDCT, fancy upsampling), whose integer arithmetic
    /// is the same in every libjpeg-turbo release and SIMD path we know of: with the same version the pixels
    /// must be identical; across versions (Debian's 2.1.5 here, Pillow's wheel bundles 3.2.0) we measured
    /// identical pixels too, and allow max |diff| <= 2 levels, mean <= 0.25, for a build whose IDCT or
    /// upsampling rounds otherwise (see docs/decisions.md).
    func testDecodesLikePillow() throws {
        let cases = try ImageFixtureCases.load()
        let expected = try imageFixtures.load("image_jpeg")
        let sameLibrary = JPEGReader.libraryVersion == cases.pillowLibjpegTurbo
        XCTAssertGreaterThanOrEqual(cases.jpeg.count, 8)
        for entry in cases.jpeg {
            let name = try entry.string("name")
            let path = imageFixtures.path(try entry.string("file"))
            let ours = try ImageFile.read(path: path)
            XCTAssertEqual(try JPEGReader.read(path), ours)
            let pillow = try rgbImage(expected.tensor("jpeg/\(name)"))
            XCTAssertEqual(ours.width, try entry.int("width"), name)
            XCTAssertEqual(ours.height, try entry.int("height"), name)
            guard ours.pixels.count == pillow.pixels.count else { XCTFail(name); continue }
            let diffs = zip(ours.pixels, pillow.pixels).map { abs(Int($0) - Int($1)) }
            let worst = diffs.max() ?? 0
            let mean = Double(diffs.reduce(0, +)) / Double(diffs.count)
            print("parity: jpeg \(name): max |diff| \(worst), mean \(mean) (libjpeg-turbo \(JPEGReader.libraryVersion) vs "
                  + "Pillow's \(cases.pillowLibjpegTurbo))")
            if sameLibrary {
                XCTAssertEqual(worst, 0, "\(name): same libjpeg-turbo as Pillow's, pixels must be identical")
            } else {
                XCTAssertLessThanOrEqual(worst, 2, name)
                XCTAssertLessThanOrEqual(mean, 0.25, name)
            }
        }
    }

    /// The format comes from the bytes: a JPEG named .png and a PNG named .jpg both read.
    func testFormatFromSignatureNotExtension() throws {
        let jpeg = imageFixtures.path("jpeg_baseline_420.jpg")
        let disguised = folder.appendingPathComponent("photo.png").path
        try FileManager.default.copyItem(atPath: jpeg, toPath: disguised)
        XCTAssertEqual(try ImageFile.read(path: disguised), try JPEGReader.read(jpeg))

        let png = imageFixtures.path("source_tiny.png")
        let disguisedPNG = folder.appendingPathComponent("photo.jpg").path
        try FileManager.default.copyItem(atPath: png, toPath: disguisedPNG)
        XCTAssertEqual(try ImageFile.read(path: disguisedPNG), try PNGReader.read(png))

        XCTAssertEqual(ImageFormat(signature: try Data(contentsOf: URL(fileURLWithPath: jpeg))), .jpeg)
        XCTAssertEqual(ImageFormat(signature: try Data(contentsOf: URL(fileURLWithPath: png))), .png)
        XCTAssertNil(ImageFormat(signature: Array("GIF89a".utf8)))
    }

    /// Each reader refuses the other format with its own message.
    func testReadersRefuseTheOtherFormat() throws {
        XCTAssertThrowsError(try JPEGReader.read(imageFixtures.path("source_tiny.png"))) {
            XCTAssert("\($0)".contains("not a readable JPEG"), "\($0)")
        }
        XCTAssertThrowsError(try PNGReader.read(imageFixtures.path("jpeg_gray.jpg"))) {
            XCTAssert("\($0)".contains("not a readable PNG"), "\($0)")
        }
    }
}
