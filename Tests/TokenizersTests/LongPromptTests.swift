import Foundation
import Tokenizers
import XCTest

/// Issue 11: tokenizing is linear in the prompt and stops at the token limit; what is kept is exactly what the
/// whole prompt's tokens give, and phrase spans stay right.
final class LongPromptTests: XCTestCase {
    private func seconds(_ body: () -> Void) -> Double {
        let start = Date()
        body()
        return Date().timeIntervalSince(start)
    }

    /// Once 16.5 s (80k "woman, "), over 60 s (100k commas), 1.6 s (10k "a", one word: quadratic BPE).
    func testLongPromptsTakeLinearTime() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        for text in [String(repeating: ",", count: 100_000), String(repeating: "woman, ", count: 80_000 / 7),
                     String(repeating: "a", count: 20_000), String(repeating: "ab ", count: 30_000)] {
            var prompt: TokenizedPrompt?
            let time = seconds { prompt = tokenizer.encodeWithPhrases(text) }
            XCTAssertLessThan(time, 5, "\(text.prefix(10))... x\(text.count)")
            XCTAssertEqual(prompt?.ids.count, 77)
            XCTAssertEqual(prompt?.ids, tokenizer(text))
        }
        // One word of 20,000 letters is merged in O(n log n), whole (no limit applies inside a word).
        XCTAssertLessThan(seconds { _ = tokenizer.encode(String(repeating: "a", count: 20_000)) }, 5)
    }

    /// Stopping early keeps exactly the first tokens of the whole prompt, and the phrase that straddles the
    /// limit is marked clipped, those after it dropped.
    func testTruncatedPromptsEqualTheWholeTokenization() throws {
        let tokenizer = try TokenizerFixtures.clipTokenizer()
        let phrases = (0..<40).map { "a woman number \($0) with (red, curly) hair!" }
        let text = phrases.joined(separator: ", ")
        let whole = tokenizer.encode(text)
        for maxLength in [2, 3, 10, 77, 200] {
            let ids = tokenizer(text, maxLength: maxLength)
            let kept = Array(whole.dropFirst().dropLast().prefix(maxLength - 2))
            XCTAssertEqual(ids, [tokenizer.bosTokenID] + kept + [tokenizer.eosTokenID]
                + Array(repeating: tokenizer.padTokenID, count: max(0, maxLength - kept.count - 2)))
            let prompt = tokenizer.encodeWithPhrases(text, maxLength: maxLength)
            XCTAssertEqual(prompt.ids, ids)
            XCTAssertEqual(prompt.phrases.count + prompt.droppedPhrases.count, phrases.count)
            XCTAssertEqual(prompt.isTruncated, whole.count - 2 > maxLength - 2)
            // Every kept phrase's span equals its tokens in the untruncated encoding; the last one is clipped
            // exactly when its tokens there run past the limit.
            let full = tokenizer.encodeWithPhrases(text, maxLength: 2000)
            if let last = prompt.phrases.last {
                let reference = full.phrases[prompt.phrases.count - 1]
                XCTAssertEqual(last.isClipped, reference.range.upperBound > prompt.eosIndex, "\(maxLength)")
                XCTAssertEqual(last.range.lowerBound, reference.range.lowerBound)
            }
            for (phrase, reference) in zip(prompt.phrases, full.phrases) where !phrase.isClipped {
                XCTAssertEqual(phrase, reference)
            }
        }
    }
}
