import Foundation
import Imaging
import SafeTensors
import Torch
import ParityTesting
import XCTest

@testable import spf

/// The command line's own paths: what gets written, and that bad input writes nothing.
final class GenerateCommandTests: ThreadScopedTestCase {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("StableDiffusionTests/Fixtures/pipe_tiny").path
    var directory: URL!

    override func setUpWithError() throws {
        try super.setUpWithError()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func run(_ arguments: [String]) throws {
        var command = try GenerateCommand.parse(arguments)
        try command.run()
    }

    private var out: String { directory.appendingPathComponent("out").path }

    private func written() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
    }

    func testWritesEveryImageWithPromptAndSeedInTextChunks() throws {
        try run(["--model", Self.model, "--prompt", "a woman, blonde hair", "--out", out, "--seed", "5", "--batch", "2",
                 "--steps", "3", "--height", "16", "--width", "16", "--threads", "1"])
        XCTAssertEqual(written(), ["5-0.png", "5-1.png"])
        let path = (out as NSString).appendingPathComponent("5-1.png")
        let image = try PNGReader.read(path)
        XCTAssertEqual([image.width, image.height], [16, 16])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(path).map { ($0.key, $0.value) })
        XCTAssertEqual(text["prompt"], "a woman, blonde hair")
        XCTAssertEqual(text["seed"], "5")
        XCTAssertEqual(text["scheduler"], "DDIMScheduler")
    }

    /// Without --height/--width the image has the model's own size, as diffusers: unet sample_size (8) x the VAE's
    /// scale (2 levels: 2) for this fixture, not SD's 512 (a 64-pixel world model drew tiled crowds at 512).
    func testDefaultSizeIsTheModelsOwn() throws {
        try run(["--model", Self.model, "--prompt", "a woman", "--out", out, "--steps", "2", "--threads", "1"])
        let image = try PNGReader.read((out as NSString).appendingPathComponent("0-0.png"))
        XCTAssertEqual([image.width, image.height], [16, 16])
    }

    func testBadRequestsWriteNothing() throws {
        let base = ["--model", Self.model, "--out", out, "--steps", "2", "--height", "16", "--width", "16"]
        XCTAssertThrowsError(try run(base + ["--prompt", "x", "--height", "20"])) {
            XCTAssert("\($0)".contains("multiples of 8"), "\($0)")
        }
        XCTAssertThrowsError(try run(base + ["--prompt", "   "])) { XCTAssert("\($0)".contains("empty"), "\($0)") }
        XCTAssertThrowsError(try run(base + ["--prompt", "x", "--scheduler", "plms"])) {
            XCTAssert("\($0)".contains("plms"), "\($0)")
        }
        XCTAssertThrowsError(try run(base + ["--prompt", "x", "--guidance-rescale", "1.5"])) {
            XCTAssert("\($0)".contains("guidance rescale must be a number between 0 and 1, got 1.5"), "\($0)")
        }
        XCTAssertThrowsError(try run(["--model", directory.appendingPathComponent("none").path, "--prompt", "x",
                                      "--out", out])) {
            XCTAssert("\($0)".contains("no such model folder"), "\($0)")
        }
        let latents = directory.appendingPathComponent("two.safetensors").path
        try SafeTensors.save(["a": try Tensor.zeros([1, 4, 8, 8]), "b": try Tensor.zeros([1])], to: latents)
        XCTAssertThrowsError(try run(base + ["--prompt", "x", "--init-latents", latents])) {
            XCTAssert("\($0)".contains("two.safetensors: expected one tensor"), "\($0)")
        }
        let wrongShape = directory.appendingPathComponent("wrong.safetensors").path
        try SafeTensors.save(["latents": try Tensor.zeros([1, 4, 4, 4])], to: wrongShape)
        XCTAssertThrowsError(try run(base + ["--prompt", "x", "--init-latents", wrongShape])) {
            XCTAssert("\($0)".contains("[1, 4, 8, 8]"), "\($0)")
        }
        XCTAssertEqual(written(), [])
    }

    func testPromptFileMustBeUTF8() throws {
        let bad = directory.appendingPathComponent("prompt.txt")
        try Data([0x61, 0x20, 0xFF, 0x62]).write(to: bad)
        XCTAssertThrowsError(try run(["--model", Self.model, "--prompt-file", bad.path, "--out", out])) {
            XCTAssertEqual("\($0)", "\(bad.path): not valid UTF-8 (bad byte near offset 2)")
        }
        let good = directory.appendingPathComponent("good.txt")
        try Data("  café, blonde hair\n".utf8).write(to: good)
        XCTAssertEqual(try PromptInput.parse(["--prompt-file", good.path]).text(), "café, blonde hair")
        XCTAssertThrowsError(try PromptInput.parse(["--prompt", "x", "--prompt-file", good.path]))
        XCTAssertEqual(written(), [])
    }
}
