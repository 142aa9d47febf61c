import Evaluation
import Foundation
import Imaging
import StableDiffusion
import XCTest

@testable import spf

/// `spf world quality --samples`: checked before any model loads, and written whole.
final class WorldQualityCommandTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-quality-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: directory)
    }

    func testSamplesFolderIsCheckedBeforeTheWorldLoads() throws {
        let file = directory + "/file"
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        var command = try WorldQualityCommand.parseAsRoot(["--world", directory + "/nowhere", "--samples", file, "--threads", "1"])
        XCTAssertThrowsError(try command.run()) { XCTAssertTrue("\($0)".contains("--samples \(file): exists and is not a folder"), "\($0)") }
    }

    func testUnknownSchedulerIsRefusedBeforeTheWorldLoads() throws {
        var command = try WorldQualityCommand.parseAsRoot(["--world", directory + "/nowhere", "--scheduler", "eulr", "--threads", "1"])
        XCTAssertThrowsError(try command.run()) { XCTAssertTrue("\($0)".contains("--scheduler eulr: unknown sampler"), "\($0)") }
        let parsed = try WorldQualityCommand.parseAsRoot(["--scheduler", "euler_a"]) as! WorldQualityCommand
        XCTAssertEqual(try parsed.sampling.settings().scheduler, "euler_a")
    }

    func testGuidanceRescaleOutOfRangeIsRefusedBeforeTheWorldLoads() throws {
        var command = try WorldQualityCommand.parseAsRoot(["--world", directory + "/nowhere", "--guidance-rescale", "1.2",
                                                           "--threads", "1"])
        XCTAssertThrowsError(try command.run()) { XCTAssertTrue("\($0)".contains("--guidance-rescale must be in 0...1, got 1.2"), "\($0)") }
        let parsed = try WorldQualityCommand.parseAsRoot(["--guidance-rescale", "0.7"]) as! WorldQualityCommand
        XCTAssertEqual(try parsed.sampling.settings().guidanceRescale, 0.7)
        XCTAssertEqual((try WorldQualityCommand.parseAsRoot([]) as! WorldQualityCommand).sampling.guidanceRescale, 0)
    }

    func testAPGFlagsAreCheckedBeforeTheWorldLoads() throws {
        var command = try WorldQualityCommand.parseAsRoot(["--world", directory + "/nowhere", "--apg-momentum", "1",
                                                           "--threads", "1"])
        XCTAssertThrowsError(try command.run()) { XCTAssertTrue("\($0)".contains("--apg-momentum must be in (-1, 1), got 1.0"), "\($0)") }
        let parsed = try WorldQualityCommand.parseAsRoot(["--apg-norm-threshold", "1", "--apg-eta", "0"]) as! WorldQualityCommand
        XCTAssertEqual(try parsed.sampling.settings().projectedGuidance, AdaptiveProjectedGuidance(eta: 0, normThreshold: 1))
        XCTAssertEqual(try (WorldQualityCommand.parseAsRoot([]) as! WorldQualityCommand).sampling.settings().projectedGuidance, .none)
        // The paper's momenta are negative: "-0.5" after the flag is its value, not another flag.
        let negative = try WorldQualityCommand.parseAsRoot(["--apg-momentum", "-0.5", "--count", "8"]) as! WorldQualityCommand
        XCTAssertEqual(try negative.sampling.settings().projectedGuidance, AdaptiveProjectedGuidance(momentum: -0.5))
        XCTAssertEqual(negative.count, 8)
    }

    func testSamplesAreASheetAndOneLinePerGeneration() throws {
        let image = try RGBImage(width: 4, height: 4, pixels: [UInt8](repeating: 90, count: 48))
        let flagged = (0..<2).map {
            FlaggedGeneration(index: 3 * $0, caption: "a man, with a red/brown background", targets: ["beard", "hat"],
                              rendered: image, generated: image, targetPixels: [Bool](repeating: $0 == 1, count: 16))
        }
        let out = directory + "/samples"
        try WorldQualityCommand.writeSamples(flagged, to: OutputFolder(out, flag: "--samples"))
        let lines = try String(contentsOfFile: out + "/false-targets.jsonl", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines, [#"{"caption":"a man, with a red/brown background","index":0,"targets":["beard","hat"]}"#,
                               #"{"caption":"a man, with a red/brown background","index":3,"targets":["beard","hat"]}"#])
        let sheet = try ImageFile.read(path: out + "/false-targets.png")
        XCTAssertEqual(sheet.width, 2 * (8 + 2) + 2)
        XCTAssertEqual(sheet.height, 3 * (8 + 2) + 2)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out).sorted(), WorldQualityCommand.sampleFiles.sorted())
        // None flagged: an empty list, not a missing file.
        try WorldQualityCommand.writeSamples([], to: OutputFolder(out, flag: "--samples"))
        XCTAssertEqual(try String(contentsOfFile: out + "/false-targets.jsonl", encoding: .utf8), "")
    }
}
