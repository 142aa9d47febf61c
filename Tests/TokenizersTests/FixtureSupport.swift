import Foundation
import Tokenizers
import ParityTesting
import XCTest

/// Reference fixtures written by tools/reference/tokenizer_fixtures.py (transformers 5.24); tests never run Python.
let referenceFixtures = FixtureSet()

/// The CLIP vocabulary and scratch folders of the tokenizer tests.
enum TokenizerFixtures {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// open_clip's vocabulary, fetched by scripts/setup.sh (never committed).
    static let clipVocabulary = repositoryRoot.appendingPathComponent(".cache/clip/bpe_simple_vocab_16e6.txt.gz").path

    /// The full CLIP tokenizer from the open_clip .gz; fails (never skips) when the file is missing.
    static func clipTokenizer(file: StaticString = #filePath, line: UInt = #line) throws -> CLIPTokenizer {
        guard FileManager.default.fileExists(atPath: clipVocabulary) else {
            XCTFail("\(clipVocabulary) is missing: run scripts/setup.sh to fetch CLIP's BPE vocabulary", file: file, line: line)
            throw XCTSkip("no CLIP vocabulary")
        }
        return try CLIPTokenizer(openCLIPVocabulary: clipVocabulary)
    }

    /// A fresh temporary folder, removed at the end of the test.
    static func temporaryDirectory(_ test: XCTestCase) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }
}

struct PromptFixture {
    var text: String
    var ids: [Int]
    var padded: [Int]

    static func list(_ entries: Any?) throws -> [PromptFixture] {
        let array = try XCTUnwrap(entries as? [[String: Any]], "prompts")
        return try array.map {
            PromptFixture(text: try XCTUnwrap($0["text"] as? String), ids: try XCTUnwrap($0["ids"] as? [Int]),
                          padded: try XCTUnwrap($0["padded"] as? [Int]))
        }
    }
}
