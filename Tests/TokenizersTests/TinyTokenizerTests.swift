import Foundation
import Tokenizers
import ParityTesting
import XCTest

/// The file readers and special-token rules on small synthetic vocabularies (tiny_tokenizers.json holds
/// transformers' ids for each folder): vocab.json + merges.txt, tokenizer.json with pair and string merges,
/// and SD 1.5 / SD 2 style tokenizer_config.json + special_tokens_map.json.
final class TinyTokenizerTests: XCTestCase {
    private func check(_ folder: String) throws {
        let fixture = try referenceFixtures.jsonObject("tiny_tokenizers.json")
        let maxLength = try XCTUnwrap(fixture["max_length"] as? Int)
        let entry = try XCTUnwrap((fixture["tokenizers"] as? [String: Any])?[folder] as? [String: Any], folder)
        let tokenizer = try CLIPTokenizer(directory: referenceFixtures.path(folder))
        XCTAssertEqual(tokenizer.padTokenID, entry["pad_token_id"] as? Int, folder)
        XCTAssertEqual(tokenizer.modelMaxLength, entry["model_max_length"] as? Int, folder)
        let prompts = try PromptFixture.list(entry["prompts"])
        XCTAssertFalse(prompts.isEmpty)
        for prompt in prompts {
            XCTAssertEqual(tokenizer.encode(prompt.text), prompt.ids, "\(folder): \(prompt.text.debugDescription)")
            XCTAssertEqual(tokenizer(prompt.text, maxLength: maxLength), prompt.padded, "\(folder): \(prompt.text.debugDescription)")
            XCTAssertEqual(tokenizer.encodeWithPhrases(prompt.text, maxLength: maxLength).ids, prompt.padded,
                           "\(folder): \(prompt.text.debugDescription)")
        }
    }

    func testVocabAndMergesFiles() throws { try check("tiny_tokenizer") }

    func testTokenizerJSONWithPairMerges() throws { try check("tiny_json") }

    func testTokenizerJSONWithStringMerges() throws { try check("tiny_json_strings") }

    /// SD 1.5's config: "<|startoftext|>" is matched after lowercasing, "<|endoftext|>" only as written.
    func testSD15SpecialTokenConfig() throws { try check("tiny_sd15") }

    /// SD 2's config: pad "!" (id 2 here) is a special token, so every "!" in a prompt becomes it.
    func testSD2SpecialTokenConfig() throws { try check("tiny_sd2") }

    func testExplicitFilesAndSpecialTokens() throws {
        let folder = referenceFixtures.path("tiny_tokenizer")
        let plain = try CLIPTokenizer(vocabFile: folder + "/vocab.json", mergesFile: folder + "/merges.txt")
        let json = try CLIPTokenizer(tokenizerFile: referenceFixtures.path("tiny_json/tokenizer.json"))
        XCTAssertEqual(plain.encode("hello, the world's cat!!"), json.encode("hello, the world's cat!!"))
        let sd2 = try SpecialTokens.read(directory: referenceFixtures.path("tiny_sd2"))
        XCTAssertEqual(sd2.pad, SpecialTokens.Token("!", normalized: false))
        XCTAssertEqual(sd2.eos, SpecialTokens.Token("<|endoftext|>", normalized: true))
        XCTAssertEqual(sd2.modelMaxLength, 77)
        XCTAssertEqual(try SpecialTokens.read(directory: folder), .clip)
    }
}
