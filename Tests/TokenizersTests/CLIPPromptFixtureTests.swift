import Foundation
import Tokenizers
import ParityTesting
import XCTest

/// Every prompt of clip_prompts.json against transformers' CLIPTokenizer on the full CLIP vocabulary.
final class CLIPPromptFixtureTests: XCTestCase {
    func testIdsMatchTransformersForEveryPrompt() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let fixture = try referenceFixtures.jsonObject("clip_prompts.json")
        XCTAssertEqual(fixture["vocab_size"] as? Int, tokenizer.vocabularySize)
        let prompts = try PromptFixture.list(fixture["prompts"])
        XCTAssertGreaterThanOrEqual(prompts.count, 300)
        var mismatches = 0
        for prompt in prompts {
            let ids = tokenizer.encode(prompt.text)
            let padded = tokenizer(prompt.text)
            let withPhrases = tokenizer.encodeWithPhrases(prompt.text)
            if ids != prompt.ids || padded != prompt.padded || withPhrases.ids != prompt.padded {
                mismatches += 1
                XCTFail("\(prompt.text.debugDescription): got \(ids) \(ids.map { tokenizer.token(of: $0) ?? "?" }), "
                        + "expected \(prompt.ids) \(prompt.ids.map { tokenizer.token(of: $0) ?? "?" })")
            }
        }
        print("CLIPPromptFixtureTests: \(prompts.count - mismatches) of \(prompts.count) prompts give transformers' ids "
              + "(unpadded and padded to 77)")
    }

    func testSpecialTokenIds() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        XCTAssertEqual(tokenizer.vocabularySize, 49408)
        XCTAssertEqual(tokenizer.bosTokenID, 49406)
        XCTAssertEqual(tokenizer.eosTokenID, 49407)
        XCTAssertEqual(tokenizer.padTokenID, 49407)
        XCTAssertEqual(tokenizer.modelMaxLength, 77)
        XCTAssertEqual(tokenizer.id(of: "!"), 0)
        XCTAssertEqual(tokenizer.id(of: "a</w>"), 320)
        // SD 2's tokenizer pads with "!".
        let sd2 = try CLIPTokenizer(openCLIPVocabulary: TokenizerFixtures.clipVocabulary, padToken: "!")
        XCTAssertEqual(sd2.padTokenID, 0)
        XCTAssertEqual(Array(sd2("a photo", maxLength: 6)), [49406, 320, 1125, 49407, 0, 0])
    }

    func testWhitespaceOnlyAndEmptyTextGiveBosEos() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        for text in ["", " ", "\t\n  \r\n", "\u{00A0}\u{3000}"] {
            XCTAssertEqual(tokenizer.encode(text), [49406, 49407], text.debugDescription)
        }
    }

    func testTruncationKeepsEosLast() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let text = Array(repeating: "portrait", count: 200).joined(separator: " ")
        XCTAssertEqual(tokenizer.encode(text).count, 202)
        let ids = tokenizer(text)
        XCTAssertEqual(ids.count, 77)
        XCTAssertEqual(ids.first, 49406)
        XCTAssertEqual(ids.last, 49407)
        XCTAssertEqual(Array(ids[1..<76]), Array(tokenizer.encode(text)[1..<76]))
        XCTAssertEqual(tokenizer(text, maxLength: 10, padding: false).count, 10)
        XCTAssertEqual(tokenizer("a cat", maxLength: 10, padding: false), [49406, 320, 2368, 49407])
        // transformers leaves sequences alone when max_length cannot hold BOS and EOS.
        XCTAssertEqual(tokenizer("a b c", maxLength: 1), [49406, 320, 321, 322, 49407])
        XCTAssertEqual(tokenizer("a b c", maxLength: 2), [49406, 49407])
    }

    func testBPECacheGivesSameIds() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let text = "A woman, in a brown jacket, with a curtain background"
        let first = tokenizer.encode(text)
        XCTAssertEqual(tokenizer.encode(text), first)
        XCTAssertEqual(first, [49406, 320, 2308, 267, 530, 320, 2866, 6164, 267, 593, 320, 17223, 5994, 49407])
    }
}
