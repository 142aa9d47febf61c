import Foundation
import Imaging
import ParityTesting
import XCTest
@testable import Training

/// Every bad row of a dataset is reported with its line number before anything starts.
final class DatasetErrorTests: TinyRunTestCase {
    func testEveryBadRowIsListedAndNothingStarts() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data, count: 2)
        let image = (data as NSString).appendingPathComponent("img0.png")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: image))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: (data as NSString).appendingPathComponent("cut.png")))
        try PNGWriter.write(RGBImage(width: 12, height: 12, pixels: Array(repeating: 7, count: 12 * 12 * 3)),
                            to: (data as NSString).appendingPathComponent("small.png"))
        let rows = [
            #"{"file_name": "img0.png", "text": "a woman"}"#,                                     // 1 good
            #"{"file_name": "img1.png", "text": "a man""#,                                         // 2 invalid JSON
            #"{"text": "a man"}"#,                                                                 // 3 no file_name
            #"{"file_name": "img1.png", "text": "  "}"#,                                           // 4 empty text
            #"{"file_name": "img1.png", "base": "a man", "target": "a hat", "mode": "swap"}"#,     // 5 unknown mode
            #"{"file_name": "img1.png", "base": "a man, in a coat", "target": "in a dress", "mode": "replace", "replaces": "in a shirt"}"#, // 6
            #"{"file_name": "missing.png", "text": "a man"}"#,                                     // 7 missing image
            #"{"file_name": "cut.png", "text": "a man"}"#,                                         // 8 truncated
            #"{"file_name": "small.png", "text": "a man"}"#,                                       // 9 too small
            #"{"file_name": "img1.png", "txt": "a man"}"#,                                         // 10 unknown field
            "",
            #"{"file_name": "../img1.png", "text": "a man"}"#,                                     // 12 outside
        ]
        try rows.joined(separator: "\n").write(toFile: (data as NSString).appendingPathComponent("metadata.jsonl"),
                                               atomically: true, encoding: .utf8)
        let out = (try temporaryFolder(self, "runs") as NSString).appendingPathComponent("run")

        // Rows that cannot be parsed are reported first, all together.
        XCTAssertThrowsError(try TrainingSession(config: tinyConfig(data: data, out: out)).run()) { error in
            let text = "\(error)"
            for (line, words) in [(2, "invalid JSON"), (3, "missing \"file_name\""), (4, "\"text\" is empty"),
                                  (5, "unknown mode \"swap\""), (6, "\"in a shirt\" is not one of the base's phrases"),
                                  (10, "unknown field \"txt\""), (12, "inside the dataset folder")] {
                XCTAssert(text.contains("line \(line): ") && text.contains(words), "line \(line) '\(words)' in:\n\(text)")
            }
            XCTAssert(text.contains("7 problems"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing is created for a bad dataset")

        // With the rows fixed, every image problem is listed together.
        try [rows[0], rows[6], rows[7], rows[8]].joined(separator: "\n")
            .write(toFile: (data as NSString).appendingPathComponent("metadata.jsonl"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingSession(config: tinyConfig(data: data, out: out)).run()) { error in
            let text = "\(error)"
            XCTAssert(text.contains("line 2: ") && text.contains("missing.png"), text)
            XCTAssert(text.contains("line 3: ") && text.contains("cut.png"), text)
            XCTAssert(text.contains("line 4: small.png is 12x12, smaller than the training resolution 16"), text)
            XCTAssertFalse(text.contains("line 1:"), text)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testDerivedTexts() throws {
        let add = try PortraitCaption(base: "a woman, in a brown jacket", target: "blonde hair", mode: .add, replaces: nil)
        XCTAssertEqual(add.fullText, "a woman, in a brown jacket, blonde hair")
        let replace = try PortraitCaption(base: "a man, in a blue t-shirt, a photo", target: "in a red dress", mode: .replace,
                                          replaces: "in a blue t-shirt")
        XCTAssertEqual(replace.fullText, "a man, in a red dress, a photo")
        XCTAssertThrowsError(try PortraitCaption(base: "a man", target: "x", mode: .replace, replaces: nil))
        XCTAssertThrowsError(try PortraitCaption(base: "a man", target: "x", mode: .add, replaces: "a man"))
        // A row may carry text too, but it must agree with base + target.
        XCTAssertNoThrow(try MetadataFile.parse(#"{"file_name": "a.png", "base": "a man", "target": "a hat", "text": "a man, a hat"}"#, number: 1))
        XCTAssertThrowsError(try MetadataFile.parse(#"{"file_name": "a.png", "base": "a man", "target": "a hat", "text": "a hat"}"#, number: 1))
    }

    func testRunFolderProtection() throws {
        let data = try temporaryFolder(self, "data")
        try makeDataset(at: data, count: 2)
        let root = try temporaryFolder(self, "runs")
        let out = (root as NSString).appendingPathComponent("run")
        let config = tinyConfig(data: data, out: out, steps: 4)
        _ = try TrainingSession(config: config).run()
        XCTAssertThrowsError(try TrainingSession(config: config).run()) {
            XCTAssert("\($0)".contains("already holds a run; give --resume to continue it or --overwrite"), "\($0)")
        }
        XCTAssertNoThrow(try TrainingSession(config: config, overwrite: true).run())
        XCTAssertThrowsError(try TrainingSession(config: tinyConfig(data: data, out: (root as NSString).appendingPathComponent("new")),
                                                 resume: true).run()) {
            XCTAssert("\($0)".contains("holds no run to resume"), "\($0)")
        }
        // A path under a regular file cannot be written: found before any work (no cache, nothing created).
        let file = (root as NSString).appendingPathComponent("plain-file")
        try "x".write(toFile: file, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TrainingSession(config: tinyConfig(data: data, out: file + "/run")).run()) {
            XCTAssert("\($0)".contains("field 'out'") && "\($0)".contains("cannot write here"), "\($0)")
        }
        XCTAssertThrowsError(try TrainingSession(config: tinyConfig(data: data, out: file)).run()) {
            XCTAssert("\($0)".contains("exists and is not a folder"), "\($0)")
        }
    }
}

/// Prompt files for comparisons: JSON caption rows or plain base texts with a separate target.
final class PromptListTests: XCTestCase {
    func testRowsAndErrors() throws {
        let folder = try temporaryFolder(self, "prompts")
        let path = (folder as NSString).appendingPathComponent("prompts.txt")
        try """
            # a comment
            a woman, in a blue t-shirt
            {"base": "a man, in a blue t-shirt", "target": "in a red dress", "mode": "replace", "replaces": "in a blue t-shirt"}
            """.write(toFile: path, atomically: true, encoding: .utf8)
        let captions = try PromptList.read(path, target: "with a red hat", replaces: nil)
        XCTAssertEqual(captions.map(\.fullText), ["a woman, in a blue t-shirt, with a red hat", "a man, in a red dress"])
        XCTAssertThrowsError(try PromptList.read(path, target: nil, replaces: nil)) {
            XCTAssert("\($0)".contains("line 2: a plain base text needs --target"), "\($0)")
        }
        try "{\"base\": \"a man\"}\n{oops\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try PromptList.read(path, target: "x", replaces: nil)) {
            XCTAssert("\($0)".contains("line 1: missing \"target\"") && "\($0)".contains("line 2: invalid JSON"), "\($0)")
        }
    }
}
