import Foundation
import Imaging
import ParityTesting
import XCTest

@testable import spf

/// `spf compare`: one grid per prompt (rows = seeds; original on base | customized on full | customized on base),
/// and nothing written when the prompts are bad.
final class CompareCommandTests: ThreadScopedTestCase {
    static let model = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("StableDiffusionTests/Fixtures/pipe_tiny").path

    func testGridsPerPromptAndNothingOnBadInput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spf-compare-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let prompts = folder + "/prompts.txt"
        try "a woman, in a blue t-shirt\n{\"base\": \"a man, a photo\", \"target\": \"a sketch\", \"mode\": \"replace\", \"replaces\": \"a photo\"}\n"
            .write(toFile: prompts, atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let base = ["--original", Self.model, "--customized", Self.model, "--prompts", prompts, "--seeds", "1,2", "--steps", "2",
                    "--size", "16", "--out", out, "--threads", "1"]
        let command = try CompareCommand.parse(base + ["--target", "with a red hat"])
        try command.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["compare-0.png", "compare-1.png"])
        let grid = try ImageFile.read(path: out + "/compare-0.png")
        XCTAssertEqual([grid.width, grid.height], [3 * 16 + 4 * 2, 2 * 16 + 3 * 2])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(out + "/compare-1.png").map { ($0.key, $0.value) })
        XCTAssertEqual(text["full"], "a man, a sketch")
        // The same model on both sides: original and customized on the base text agree; the full text differs.
        func cell(_ column: Int) -> [UInt8] { Self.cell(grid, column: column) }
        XCTAssertEqual(cell(0), cell(2))
        XCTAssertNotEqual(cell(0), cell(1))
        let bad = folder + "/bad"
        let failing = try CompareCommand.parse(base.map { $0 == out ? bad : $0 })
        XCTAssertThrowsError(try failing.run()) { XCTAssert("\($0)".contains("line 1: a plain base text needs --target"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
    }

    /// `--run` (an SPF run): the run's original and result, plus the SFCM and target-attention columns.
    func testRunAddsTheMapColumns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spf-compare-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try Self.trainSPFRun(in: folder)
        let prompts = folder + "/prompts.txt"
        try "a man, a photo\n".write(toFile: prompts, atomically: true, encoding: .utf8)
        let out = folder + "/out"
        let arguments = ["--run", run, "--prompts", prompts, "--target", "with a red hat", "--seeds", "3,4", "--steps", "2",
                         "--size", "16", "--out", out, "--threads", "1"]
        let command = try CompareCommand.parse(arguments)
        try command.run()
        let grid = try ImageFile.read(path: out + "/compare-0.png")
        XCTAssertEqual([grid.width, grid.height], [5 * 16 + 6 * 2, 2 * 16 + 3 * 2])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(out + "/compare-0.png").map { ($0.key, $0.value) })
        XCTAssertEqual(text["columns"]?.contains("SFCM M at t=500 | target attention at t=500"), true, text["columns"] ?? "")
        XCTAssertEqual(text["customized"], run + "/model")
        func cell(_ column: Int) -> [UInt8] { Self.cell(grid, column: column) }
        XCTAssertNotEqual(cell(3), cell(1), "the map is drawn over the full-text image")
        XCTAssertNotEqual(cell(4), cell(1))
        // One load serves both models (the original through the reference path): the same images as loading the
        // original folder and the run's result folder separately.
        let separate = folder + "/separate"
        let twoFolders = try CompareCommand.parse(["--original", Self.model, "--customized", run + "/model", "--prompts", prompts,
                                                   "--target", "with a red hat", "--seeds", "3,4", "--steps", "2",
                                                   "--size", "16", "--out", separate, "--threads", "1"])
        try twoFolders.run()
        let reference = try ImageFile.read(path: separate + "/compare-0.png")
        for row in 0..<2 {
            for column in 0..<3 {
                XCTAssertEqual(Self.cell(grid, column: column, row: row), Self.cell(reference, column: column, row: row),
                               "row \(row) column \(column)")
            }
        }
        XCTAssertNotEqual(cell(0), cell(2), "the run changed the model")
        let both = try CompareCommand.parse(arguments.map { $0 == out ? folder + "/bad" : $0 } + ["--original", Self.model])
        XCTAssertThrowsError(try both.run()) { XCTAssert("\($0)".contains("--run names both models"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/bad"))
    }

    /// `--map-layers` reads the maps from other layers of the same run: the images are the same, the map columns
    /// differ; a layer the UNet does not have is an error that names it, and nothing is written.
    func testMapLayersChooseWhereTheMapsAreRead() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spf-compare-layers-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try Self.trainSPFRun(in: folder)
        let prompts = folder + "/prompts.txt"
        try "a man, a photo\n".write(toFile: prompts, atomically: true, encoding: .utf8)
        func arguments(_ out: String) -> [String] {
            ["--run", run, "--prompts", prompts, "--target", "with a red hat", "--seeds", "3", "--steps", "2",
             "--size", "16", "--out", out, "--threads", "1"]
        }
        try CompareCommand.parse(arguments(folder + "/default")).run()
        try CompareCommand.parse(arguments(folder + "/coarse") + ["--map-layers", "1/2"]).run()
        let standard = try ImageFile.read(path: folder + "/default/compare-0.png")
        let coarse = try ImageFile.read(path: folder + "/coarse/compare-0.png")
        for column in 0..<3 { XCTAssertEqual(Self.cell(standard, column: column), Self.cell(coarse, column: column), "column \(column)") }
        XCTAssertNotEqual(Self.cell(standard, column: 4), Self.cell(coarse, column: 4), "the target's attention read at 1/2")
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(folder + "/coarse/compare-0.png").map { ($0.key, $0.value) })
        XCTAssertEqual(text["columns"]?.contains("SFCM M at t=500 on 1/2 | target attention at t=500 on 1/2"), true, text["columns"] ?? "")
        for (layers, message) in [("1/64", "\"1/64\" matches no cross-attention layer"), ("1/2,", "--map-layers: '1/2,' has an empty entry"),
                                  ("mid.attn", "expected \"all\", \"1/N\" or a layer name ending in .attn2")] {
            let bad = folder + "/bad"
            XCTAssertThrowsError(try CompareCommand.parse(arguments(bad) + ["--map-layers", layers]).run()) {
                XCTAssert("\($0)".contains(message), "\($0)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: bad), layers)
        }
        let withoutRun = try CompareCommand.parse(["--original", Self.model, "--customized", run + "/model", "--prompts", prompts,
                                                   "--target", "x", "--out", folder + "/bad", "--map-layers", "1/2"])
        XCTAssertThrowsError(try withoutRun.run()) { XCTAssert("\($0)".contains("--map-layers needs --run"), "\($0)") }
    }

    /// A 3-step SPF run (stage 1 one step) on two 16x16 images of the tiny model, in `folder`/run.
    static func trainSPFRun(in folder: String, settings: [String] = []) throws -> String {
        let data = folder + "/data"
        try TrainCommandTests.writeCaptionSet(at: data, count: 2, step: 5, offset: 70)
        let run = folder + "/run"
        let train = try TrainCommand.parse([
            "--model", model, "--data", data, "--out", run, "--steps", "3", "--batch-size", "2", "--threads", "1",
            "--set", "resolution=16", "--set", #"method="spf""#, "--set", "spf.stage1_steps=1",
            "--set", #"spf.sfcm_layers=["1/1"]"#, "--set", "spf.lambda_enh=0",
        ] + settings.flatMap { ["--set", $0] })
        try train.run()
        return run
    }

    /// `--run` on a LoRA SPF run with `--lora-scale`: the run's adapters scaled, the same images as the LoRA file
    /// exported by the run loaded onto the original at that scale.
    func testRunWithLoRAScalesTheRunsAdapters() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spf-compare-lora-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let run = try Self.trainSPFRun(in: folder, settings: ["spf.lora=true", "learning_rate=0.05"])
        let prompts = folder + "/prompts.txt"
        try "a man, a photo\n".write(toFile: prompts, atomically: true, encoding: .utf8)
        let common = ["--prompts", prompts, "--target", "with a red hat", "--seeds", "5", "--steps", "2", "--size", "16",
                      "--threads", "1", "--lora-scale", "0.5"]
        let viaRun = try CompareCommand.parse(["--run", run, "--out", folder + "/a"] + common)
        try viaRun.run()
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(folder + "/a/compare-0.png").map { ($0.key, $0.value) })
        let lora = try XCTUnwrap(text["customized"]?.components(separatedBy: " + LoRA ").last?.components(separatedBy: " x").first)
        let viaFile = try CompareCommand.parse(["--original", Self.model, "--lora", lora, "--out", folder + "/b"] + common)
        try viaFile.run()
        let a = try ImageFile.read(path: folder + "/a/compare-0.png")
        let b = try ImageFile.read(path: folder + "/b/compare-0.png")
        for column in 0..<3 { XCTAssertEqual(Self.cell(a, column: column), Self.cell(b, column: column), "column \(column)") }
        XCTAssertNotEqual(Self.cell(a, column: 0), Self.cell(a, column: 2), "the adapters change the model")
    }

    /// The pixels of one 16x16 cell of a grid (2-pixel gaps), in the first row unless `row` says.
    static func cell(_ grid: RGBImage, column: Int, row: Int = 0) -> [UInt8] {
        var values: [UInt8] = []
        for y in (2 + row * 18)..<(18 + row * 18) {
            let start = (y * grid.width + 2 + column * 18) * 3
            values += grid.pixels[start..<(start + 48)]
        }
        return values
    }
}
