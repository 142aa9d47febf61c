import CLIP
import Foundation
import NN
import StableDiffusion
import Tokenizers
import Torch
import XCTest

/// Single file -> diffusers folder -> pipeline gives exactly the models that loading the single file gives.
final class SingleFileConversionTests: XCTestCase {
    static let fixtures = SingleFilePipelineTests.fixtures
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-convert-\(UUID().uuidString)")
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testConvertedFolderLoadsTheSameModels() throws {
        let checkpoint = Self.fixtures.appendingPathComponent("ckpt_ldm_tiny.safetensors").path
        let tokenizerFolder = Self.fixtures.appendingPathComponent("pipe_tiny/tokenizer").path
        let architecture = SingleFilePipelineTests.tinyArchitecture
        try SingleFileConversion.convert(checkpoint: checkpoint, tokenizerFolder: tokenizerFolder, to: directory.path,
                                         architecture: architecture)
        let fromFolder = try StableDiffusionPipeline.load(path: directory.path)
        let fromFile = try StableDiffusionPipeline.load(singleFile: checkpoint,
                                                        tokenizer: CLIPTokenizer(directory: tokenizerFolder),
                                                        architecture: architecture)
        let pairs: [(any Module, any Module)] = [(fromFolder.unet, fromFile.unet), (fromFolder.vae, fromFile.vae),
                                                 (fromFolder.textEncoder, fromFile.textEncoder)]
        for (a, b) in pairs {
            let expected = b.stateDict()
            XCTAssertEqual(Set(a.stateDict().keys), Set(expected.keys))
            for (name, tensor) in a.namedParameters() {
                XCTAssertEqual(try tensor.bytes(), try expected[name]!.bytes(), name)
            }
        }
        XCTAssertEqual(fromFolder.textEncoder.textModel.config.hiddenSize, 16)
        XCTAssertEqual(fromFolder.schedulerConfig.betaStart, architecture.scheduler.betaStart)
        XCTAssertEqual(fromFolder.schedulerConfig.className, "DDIMScheduler")
        XCTAssertEqual(fromFolder.tokenizer("a woman"), fromFile.tokenizer("a woman"))
    }

    func testNotATokenizerFolderWritesNothing() throws {
        let checkpoint = Self.fixtures.appendingPathComponent("ckpt_ldm_tiny.safetensors").path
        XCTAssertThrowsError(try SingleFileConversion.convert(checkpoint: checkpoint, tokenizerFolder: Self.fixtures.path,
                                                              to: directory.path,
                                                              architecture: SingleFilePipelineTests.tinyArchitecture)) {
            XCTAssert("\($0)".contains("not a tokenizer folder"), "\($0)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.path))
    }
}
