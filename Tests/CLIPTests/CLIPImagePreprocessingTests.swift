import CLIP
import Torch
import ParityTesting
import XCTest

final class CLIPImagePreprocessingTests: XCTestCase {
    /// Our recipe equals the same recipe in PyTorch (bicubic antialias resize, center crop, normalize).
    func testMatchesTorchRecipe() throws {
        let f = try referenceFixtures.load("preprocess")
        let preprocess = CLIPImagePreprocessing(imageSize: 32)
        let unit = try CLIPImagePreprocessing.unitPixels(fromUInt8: f.tensor("image"))
        XCTAssertEqual(unit.shape, [1, 3, 40, 48])
        XCTAssert(preprocess.resizedSize(height: 40, width: 48) == (32, 38))
        try assertParity(preprocess(unit), f.tensor("tensor"), .reduction(length: 64), "preprocessed pixels", in: referenceFixtures)
    }

    /// Against transformers' CLIPImageProcessor (PIL bicubic on uint8): close but not equal, by design;
    /// the measured bound (0.0144 normalized, fixed by the fixture) must not grow.
    func testCloseToPILProcessor() throws {
        let f = try referenceFixtures.load("preprocess")
        let ours = try CLIPImagePreprocessing(imageSize: 32)(CLIPImagePreprocessing.unitPixels(fromUInt8: f.tensor("image")))
        let reference = try f.tensor("processor")
        let maxDiff = try (ours - reference).abs().amax().item()
        XCTAssertLessThan(maxDiff, 0.0145)
        XCTAssertGreaterThan(maxDiff, 0)
    }

    func testGradientFlowsToPixels() throws {
        let x = try Tensor.rand([1, 3, 20, 24], generator: Generator(seed: 1)).requiringGrad()
        try CLIPImagePreprocessing(imageSize: 16)(x).sum().backward()
        XCTAssertEqual(try XCTUnwrap(x.grad()).shape, [1, 3, 20, 24])
    }

    func testBadInputIsAnError() {
        XCTAssertThrowsError(try CLIPImagePreprocessing()(Tensor.zeros([3, 32, 32])))
        XCTAssertThrowsError(try CLIPImagePreprocessing()(Tensor.zeros([1, 4, 32, 32]))) {
            XCTAssert("\($0)".contains("4 channels"), "\($0)")
        }
    }
}
