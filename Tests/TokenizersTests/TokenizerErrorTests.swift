import Foundation
import Tokenizers
import ParityTesting
import XCTest

/// Every missing or malformed file is a thrown error that names it (and the line for merges).
final class TokenizerErrorTests: XCTestCase {
    private func assertThrows(_ expected: TokenizerError, file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? TokenizerError else { return XCTFail("\(error)", file: file, line: line) }
            switch (error, expected) {
            case (.fileNotFound(let a), .fileNotFound(let b)): XCTAssertEqual(a, b, file: file, line: line)
            case (.unreadableFile(let a, _), .unreadableFile(let b, _)): XCTAssertEqual(a, b, file: file, line: line)
            case (.malformedFile(let a, _), .malformedFile(let b, _)): XCTAssertEqual(a, b, file: file, line: line)
            case (.badMergesLine(let a, let la, _), .badMergesLine(let b, let lb, _)):
                XCTAssertEqual(a, b, file: file, line: line)
                XCTAssertEqual(la, lb, file: file, line: line)
                XCTAssert(error.description.contains("line \(lb)"), error.description, file: file, line: line)
            default: XCTFail("got \(error), expected \(expected)", file: file, line: line)
            }
            XCTAssert(error.description.contains(expected.path), error.description, file: file, line: line)
        }
    }

    /// A copy of the tiny folder in which `edit` changes files.
    private func tinyCopy(_ edit: (String) throws -> Void = { _ in }) throws -> String {
        let dir = try TokenizerFixtures.temporaryDirectory(self)
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(atPath: referenceFixtures.path("tiny_tokenizer/\(name)"), toPath: dir + "/" + name)
        }
        try edit(dir)
        return dir
    }

    private func write(_ text: String, _ path: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func testMissingFiles() throws {
        let dir = try TokenizerFixtures.temporaryDirectory(self)
        assertThrows(.fileNotFound(path: dir + "/nope")) { _ = try CLIPTokenizer(directory: dir + "/nope") }
        assertThrows(.fileNotFound(path: dir + "/vocab.json")) { _ = try CLIPTokenizer(directory: dir) }
        let noMerges = try tinyCopy { try FileManager.default.removeItem(atPath: $0 + "/merges.txt") }
        assertThrows(.fileNotFound(path: noMerges + "/merges.txt")) { _ = try CLIPTokenizer(directory: noMerges) }
        assertThrows(.fileNotFound(path: dir + "/tokenizer.json")) { _ = try CLIPTokenizer(tokenizerFile: dir + "/tokenizer.json") }
        assertThrows(.fileNotFound(path: dir + "/bpe.txt.gz")) { _ = try CLIPTokenizer(openCLIPVocabulary: dir + "/bpe.txt.gz") }
        assertThrows(.unreadableFile(path: dir, reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: dir) }
    }

    func testBadMergesLinesAreNamed() throws {
        let header = "#version: 0.2\n"
        let cases: [(String, Int)] = [
            ("t h\nth e</w> extra\n", 3),      // three parts
            ("t h\n\nc a\n", 3),               // an empty line
            ("t  h\n", 2),                     // two spaces
            ("t h\nx y\n", 3),                 // x is not in the vocabulary
            ("t h\nt e\n", 3),                 // "te" is not in the vocabulary
        ]
        for (body, line) in cases {
            let dir = try tinyCopy { try write(header + body, $0 + "/merges.txt") }
            assertThrows(.badMergesLine(path: dir + "/merges.txt", line: line, reason: "")) {
                _ = try CLIPTokenizer(directory: dir)
            }
        }
        // Invalid UTF-8 on line 2.
        let dir = try tinyCopy {
            try Data([0x23, 0x76, 0x0A, 0xFF, 0x20, 0x61, 0x0A]).write(to: URL(fileURLWithPath: $0 + "/merges.txt"))
        }
        assertThrows(.badMergesLine(path: dir + "/merges.txt", line: 2, reason: "")) { _ = try CLIPTokenizer(directory: dir) }
    }

    func testMalformedVocabAndConfig() throws {
        for text in ["{", "[1, 2]", "{\"a\": \"x\"}", "{\"a\": 1.5}", "{\"a\": -1}"] {
            let dir = try tinyCopy { try write(text, $0 + "/vocab.json") }
            assertThrows(.malformedFile(path: dir + "/vocab.json", reason: "")) { _ = try CLIPTokenizer(directory: dir) }
        }
        // A vocabulary without the special tokens.
        let noSpecials = try tinyCopy { try write("{\"a\": 0}", $0 + "/vocab.json"); try write("", $0 + "/merges.txt") }
        assertThrows(.malformedFile(path: noSpecials + "/vocab.json", reason: "")) { _ = try CLIPTokenizer(directory: noSpecials) }
        // A pad token missing from the vocabulary.
        let badPad = try tinyCopy { try write("{\"pad_token\": \"<pad>\"}", $0 + "/special_tokens_map.json") }
        assertThrows(.malformedFile(path: badPad + "/vocab.json", reason: "")) { _ = try CLIPTokenizer(directory: badPad) }
        for text in ["not json", "[]", "{\"pad_token\": 3}", "{\"eos_token\": {\"content\": \"<|endoftext|>\", \"lstrip\": true}}"] {
            let dir = try tinyCopy { try write(text, $0 + "/tokenizer_config.json") }
            assertThrows(.malformedFile(path: dir + "/tokenizer_config.json", reason: "")) { _ = try CLIPTokenizer(directory: dir) }
        }
    }

    func testMalformedTokenizerJSON() throws {
        let source = try String(contentsOfFile: referenceFixtures.path("tiny_json/tokenizer.json"), encoding: .utf8)
        let cases: [(String, TokenizerError.Kind)] = [
            ("{}", .malformed),
            ("{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}, \"merges\": []}}", .malformed),
            ("{\"model\": {\"vocab\": {\"<|endoftext|>\": 0, \"<|startoftext|>\": 1}}}", .malformed),
            ("{\"model\": {\"vocab\": {\"<|endoftext|>\": 0, \"<|startoftext|>\": 1}, \"merges\": [\"a\"]}}", .merges(1)),
            ("{\"model\": {\"vocab\": {\"<|endoftext|>\": 0, \"<|startoftext|>\": 1}, \"merges\": [[\"a\", \"b\", \"c\"]]}}", .merges(1)),
            (source.replacingOccurrences(of: "\"th\",\n    \"e</w>\"", with: "\"th\",\n    \"zzz\""), .merges(2)),
        ]
        for (text, kind) in cases {
            let dir = try TokenizerFixtures.temporaryDirectory(self)
            let path = dir + "/tokenizer.json"
            try write(text, path)
            let expected: TokenizerError = switch kind {
            case .malformed: .malformedFile(path: path, reason: "")
            case .merges(let line): .badMergesLine(path: path, line: line, reason: "")
            }
            assertThrows(expected) { _ = try CLIPTokenizer(tokenizerFile: path) }
            assertThrows(expected) { _ = try CLIPTokenizer(directory: dir) }
        }
    }

    func testMalformedGzip() throws {
        let dir = try TokenizerFixtures.temporaryDirectory(self)
        let plain = dir + "/plain.txt.gz"
        try write("not gzip at all", plain)
        assertThrows(.malformedFile(path: plain, reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: plain) }
        let empty = dir + "/empty.gz"
        try write("", empty)
        assertThrows(.malformedFile(path: empty, reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: empty) }
        guard FileManager.default.fileExists(atPath: TokenizerFixtures.clipVocabulary) else {
            return XCTFail("\(TokenizerFixtures.clipVocabulary) is missing: run scripts/setup.sh to fetch CLIP's BPE vocabulary")
        }
        let whole = try Data(contentsOf: URL(fileURLWithPath: TokenizerFixtures.clipVocabulary))
        let truncated = dir + "/truncated.gz"
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: truncated))
        assertThrows(.malformedFile(path: truncated, reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: truncated) }
        // Too few merges, and a bad merge line, in a valid gzip file (written with zlib via gzip(1)-compatible data).
        let short = dir + "/short.txt"
        try write("header\nt h\n", short)
        try gzip(short)
        assertThrows(.malformedFile(path: short + ".gz", reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: short + ".gz") }
        let bad = dir + "/bad.txt"
        try write("header\na b\nc d e\n" + String(repeating: "a b\n", count: 49000), bad)
        try gzip(bad)
        assertThrows(.badMergesLine(path: bad + ".gz", line: 3, reason: "")) { _ = try CLIPTokenizer(openCLIPVocabulary: bad + ".gz") }
    }

    private func gzip(_ path: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["gzip", "-f", path]
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "gzip \(path)")
    }
}

extension TokenizerError {
    enum Kind {
        case malformed
        case merges(Int)
    }
}
