import Foundation
import Tokenizers
import XCTest

/// Phrase spans: the tokens inside each span are exactly the tokens of the phrase encoded alone.
final class PhraseSpanTests: XCTestCase {
    private func assertSpansDecode(_ tokenizer: CLIPTokenizer, _ text: String, phrases expected: [String],
                                   file: StaticString = #filePath, line: UInt = #line) {
        let prompt = tokenizer.encodeWithPhrases(text)
        XCTAssertEqual(prompt.ids, tokenizer(text), file: file, line: line)
        XCTAssertEqual(prompt.phrases.map(\.text), expected, file: file, line: line)
        for phrase in prompt.phrases where !phrase.isClipped {
            let alone = Array(tokenizer.encode(phrase.text).dropFirst().dropLast())
            XCTAssertEqual(Array(prompt.ids[phrase.range]), alone,
                           "\(phrase.text): \(prompt.ids[phrase.range].map { tokenizer.token(of: $0) ?? "?" })",
                           file: file, line: line)
        }
        // Everything between BOS and EOS that is not in a phrase is a comma token (",</w>", or ",,</w>" where an
        // empty phrase sits between two commas).
        let covered = Set(prompt.phrases.flatMap { Array($0.range) })
        for index in 1..<prompt.eosIndex where !covered.contains(index) {
            let token = tokenizer.token(of: prompt.ids[index]) ?? "?"
            XCTAssert(token.hasSuffix("</w>") && token.dropLast(4).allSatisfy { $0 == "," },
                      "index \(index) of \(text): \(token)", file: file, line: line)
        }
    }

    func testPortraitPromptSpans() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let prompt = tokenizer.encodeWithPhrases("A woman, in a brown jacket, with a curtain background")
        XCTAssertEqual(prompt.phrases, [
            PhraseSpan(text: "A woman", range: 1..<3, isClipped: false),
            PhraseSpan(text: "in a brown jacket", range: 4..<8, isClipped: false),
            PhraseSpan(text: "with a curtain background", range: 9..<13, isClipped: false),
        ])
        XCTAssertEqual(prompt.eosIndex, 13)
        XCTAssertEqual(prompt.padGroup, 13..<77)
        XCTAssertEqual(prompt.ids[13...].allSatisfy { $0 == 49407 }, true)
        XCTAssertTrue(prompt.droppedPhrases.isEmpty)
        XCTAssertFalse(prompt.isTruncated)

        assertSpansDecode(tokenizer, "A woman, in a brown jacket, with a curtain background",
                          phrases: ["A woman", "in a brown jacket", "with a curtain background"])
        assertSpansDecode(tokenizer, "  a portrait of a man ,wearing glasses,,  smiling,  studio lighting  ",
                          phrases: ["a portrait of a man", "wearing glasses", "smiling", "studio lighting"])
        assertSpansDecode(tokenizer, "photo of a sks person, close-up, 85mm, bokeh, Café Noël, it's 'night'",
                          phrases: ["photo of a sks person", "close-up", "85mm", "bokeh", "Café Noël", "it's 'night'"])
        assertSpansDecode(tokenizer, ",leading comma, 東京タワー, 😀 emoji,", phrases: ["leading comma", "東京タワー", "😀 emoji"])
    }

    func testCommasInsideBracketsDoNotSplit() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        assertSpansDecode(tokenizer, "a girl (smiling, happy) , in a park [red, blue] , {x, y}",
                          phrases: ["a girl (smiling, happy)", "in a park [red, blue]", "{x, y}"])
        // Without the space CLIP fuses ")," into one token, which belongs to no phrase.
        let fused = tokenizer.encodeWithPhrases("a girl (smiling, happy), in a park")
        XCTAssertEqual(fused.phrases.map(\.text), ["a girl (smiling, happy)", "in a park"])
        XCTAssertEqual(fused.phrases.map(\.range), [1..<7, 8..<11])
        XCTAssertEqual(tokenizer.token(of: fused.ids[7]), "),</w>")
        // An unbalanced closing bracket does not hide later commas.
        XCTAssertEqual(tokenizer.encodeWithPhrases("a) b, c").phrases.map(\.text), ["a) b", "c"])
    }

    func testTokenStraddlingACommaBelongsToNoPhrase() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        // CLIP keeps "!," together: the token is neither "hello!"'s nor a comma of its own.
        let prompt = tokenizer.encodeWithPhrases("hello!, world")
        XCTAssertEqual(prompt.ids.prefix(5), [49406, 3306, 29325, 1002, 49407])
        XCTAssertEqual(prompt.phrases.map(\.text), ["hello!", "world"])
        XCTAssertEqual(prompt.phrases.map(\.range), [1..<2, 3..<4])
        // Empty phrases are skipped.
        XCTAssertEqual(tokenizer.encodeWithPhrases(" , ,").phrases, [])
        XCTAssertEqual(tokenizer.encodeWithPhrases("").phrases, [])
    }

    func testTruncationClipsAndDropsPhrases() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let long = Array(repeating: "portrait", count: 70).joined(separator: " ")
        let text = "a woman, \(long), in a jacket, smiling"
        let prompt = tokenizer.encodeWithPhrases(text)
        XCTAssertEqual(prompt.ids, tokenizer(text))
        XCTAssertTrue(prompt.isTruncated)
        XCTAssertEqual(prompt.ids.count, 77)
        XCTAssertEqual(prompt.eosIndex, 76)
        XCTAssertEqual(prompt.ids[76], 49407)
        XCTAssertEqual(prompt.padGroup, 76..<77)
        XCTAssertEqual(prompt.phrases.map(\.text), ["a woman", long, "in a jacket"])
        // "a woman" 1..<3, comma 3, 70 x "portrait" 4..<74, comma 74, then room for one token: "in".
        XCTAssertEqual(prompt.phrases.map(\.range), [1..<3, 4..<74, 75..<76])
        XCTAssertEqual(prompt.phrases.map(\.isClipped), [false, false, true])
        XCTAssertEqual(prompt.droppedPhrases, ["smiling"])
        XCTAssertEqual(tokenizer.span(of: "in a jacket", in: prompt), 75..<76)
        XCTAssertNil(tokenizer.span(of: "smiling", in: prompt))
    }

    func testPadGroupWithoutPadding() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let prompt = tokenizer.encodeWithPhrases("a cat, a dog", maxLength: 77, padding: false)
        XCTAssertEqual(prompt.ids, [49406, 320, 2368, 267, 320, 1929, 49407])
        XCTAssertEqual(prompt.eosIndex, 6)
        XCTAssertEqual(prompt.padGroup, 6..<7)
        let padded = tokenizer.encodeWithPhrases("a cat, a dog", maxLength: 20)
        XCTAssertEqual(padded.padGroup, 6..<20)
        XCTAssertEqual(Set(padded.ids[padded.padGroup]), [49407])
    }

    func testSubPhraseLookup() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let prompt = tokenizer.encodeWithPhrases("A woman, in a brown jacket, with a curtain background")
        XCTAssertEqual(tokenizer.span(of: "in a brown jacket", in: prompt), 4..<8)
        XCTAssertEqual(tokenizer.span(of: "  A woman ", in: prompt), 1..<3)
        XCTAssertEqual(tokenizer.span(of: "brown jacket", in: prompt), 6..<8)
        XCTAssertEqual(tokenizer.span(of: "Brown Jacket", in: prompt), 6..<8)
        XCTAssertEqual(tokenizer.span(of: "curtain", in: prompt), 11..<12)
        XCTAssertNil(tokenizer.span(of: "brown jack", in: prompt))
        XCTAssertNil(tokenizer.span(of: "red hat", in: prompt))
        XCTAssertNil(tokenizer.span(of: "", in: prompt))
        let span = try XCTUnwrap(tokenizer.span(of: "brown jacket", in: prompt))
        XCTAssertEqual(prompt.ids[span].map { tokenizer.token(of: $0) }, ["brown</w>", "jacket</w>"])
    }
}
