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
        var command = try CompareCommand.parse(base + ["--target", "with a red hat"])
        try command.run()
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), ["compare-0.png", "compare-1.png"])
        let grid = try ImageFile.read(path: out + "/compare-0.png")
        XCTAssertEqual([grid.width, grid.height], [3 * 16 + 4 * 2, 2 * 16 + 3 * 2])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(out + "/compare-1.png").map { ($0.key, $0.value) })
        XCTAssertEqual(text["full"], "a man, a sketch")
        // The same model on both sides: original and customized on the base text agree; the full text differs.
        func cell(_ column: Int) -> [UInt8] {
            var values: [UInt8] = []
            for y in 2..<18 {
                let start = (y * grid.width + 2 + column * 18) * 3
                values += grid.pixels[start..<(start + 48)]
            }
            return values
        }
        XCTAssertEqual(cell(0), cell(2))
        XCTAssertNotEqual(cell(0), cell(1))
        let bad = folder + "/bad"
        var failing = try CompareCommand.parse(base.map { $0 == out ? bad : $0 })
        XCTAssertThrowsError(try failing.run()) { XCTAssert("\($0)".contains("line 1: a plain base text needs --target"), "\($0)") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: bad))
    }
}
