/// One comma-separated phrase of a prompt and where its tokens sit in the padded id sequence.
public struct PhraseSpan: Sendable, Equatable {
    /// The phrase as written, without surrounding whitespace.
    public var text: String
    /// Indices into `TokenizedPrompt.ids` (BOS is index 0).
    public var range: Range<Int>
    /// True when truncation cut the phrase short (its tail is past the limit).
    public var isClipped: Bool

    public init(text: String, range: Range<Int>, isClipped: Bool) {
        self.text = text
        self.range = range
        self.isClipped = isClipped
    }
}

/// A prompt's ids with the token positions of its phrases, for the SPF losses.
public struct TokenizedPrompt: Sendable, Equatable {
    public var text: String
    /// BOS, text tokens (truncated), EOS, padding: exactly `tokenizer(text, maxLength:)`.
    public var ids: [Int]
    public var maxLength: Int
    /// Phrases with at least one token inside the limit, in prompt order.
    public var phrases: [PhraseSpan]
    /// Phrases that have no token in `ids`: entirely past the limit (or, rarely, whose only tokens are
    /// shared with a neighbouring comma, as in "a,.,b").
    public var droppedPhrases: [String]
    public var eosIndex: Int
    /// The EOS position and every padding position after it: one token group for the SPF losses.
    public var padGroup: Range<Int>
    public var isTruncated: Bool

    /// The span of each phrase of `all` (the prompt's full phrase list, as written) in `ids`, nil for a phrase
    /// truncation dropped: `phrases` are the surviving ones in order, matched greedily by text.
    public func spans(of all: [String]) -> [Range<Int>?] {
        var result = [Range<Int>?](repeating: nil, count: all.count)
        var j = 0
        for (i, text) in all.enumerated() where j < phrases.count && phrases[j].text == text {
            result[i] = phrases[j].range
            j += 1
        }
        return result
    }
}

extension CLIPTokenizer {
    /// Tokenizes `text` like `callAsFunction(text, maxLength:)` and locates its phrases.
    ///
    /// Phrases are split at top-level commas: commas inside (), [] or {} do not split, so "(smiling, happy)"
    /// stays one phrase. Phrases that are empty or only whitespace are skipped. Comma tokens belong to no
    /// phrase; so does a token whose text straddles a comma and a phrase (CLIP keeps runs of punctuation
    /// together: in "hello!, world" the token "!," belongs to neither phrase).
    public func encodeWithPhrases(_ text: String, maxLength: Int = 77, padding: Bool = true) -> TokenizedPrompt {
        let (segments, phraseTexts) = Self.phraseSegments(text)
        // Only the tokens up to one past the limit are computed: phrases after them are past the limit anyway.
        let tokens = contentTokens(segments, limit: Self.contentLimit(maxLength))
        let ids = wrap(tokens.map(\.id), maxLength: maxLength, padding: padding)
        let kept = maxLength >= 2 ? min(tokens.count, maxLength - 2) : tokens.count
        var phrases: [PhraseSpan] = []
        var dropped: [String] = []
        // First and last token of each phrase, in one pass (a filter per phrase was quadratic).
        var firstIndex: [Int: Int] = [:]
        var lastIndex: [Int: Int] = [:]
        for (position, token) in tokens.enumerated() where token.tag >= 0 {
            if firstIndex[token.tag] == nil { firstIndex[token.tag] = position }
            lastIndex[token.tag] = position
        }
        for (index, phrase) in phraseTexts.enumerated() {
            guard let first = firstIndex[index], let last = lastIndex[index], first < kept else {
                dropped.append(phrase)
                continue
            }
            // +1: BOS is index 0.
            phrases.append(PhraseSpan(text: phrase, range: (first + 1)..<(min(last, kept - 1) + 2), isClipped: last >= kept))
        }
        let eosIndex = kept + 1
        return TokenizedPrompt(text: text, ids: ids, maxLength: maxLength, phrases: phrases, droppedPhrases: dropped,
                               eosIndex: eosIndex, padGroup: eosIndex..<max(ids.count, eosIndex + 1),
                               isTruncated: kept < tokens.count)
    }

    /// The phrases of `text` as `encodeWithPhrases` splits them (top-level commas, trimmed, empty ones
    /// skipped), without tokenizing: what dataset validation checks `replaces` phrases against.
    public static func phrases(in text: String) -> [String] { phraseSegments(text).phrases }

    /// `text` cut at top-level commas into segments tagged with their phrase index (-1 for commas and empty
    /// phrases), and the trimmed phrase texts.
    static func phraseSegments(_ text: String) -> (segments: [(text: Substring.UnicodeScalarView, tag: Int)],
                                                   phrases: [String]) {
        let scalars = text.unicodeScalars
        var segments: [(text: Substring.UnicodeScalarView, tag: Int)] = []
        var phraseTexts: [String] = []
        var depth = 0
        var start = scalars.startIndex
        func addPhrase(_ end: String.UnicodeScalarView.Index) {
            let view = Substring(text)[start..<end].unicodeScalars
            let trimmed = String(String.UnicodeScalarView(view.drop(while: \.properties.isWhitespace)
                .reversed().drop(while: \.properties.isWhitespace).reversed()))
            if trimmed.isEmpty {
                segments.append((view, -1))
            } else {
                segments.append((view, phraseTexts.count))
                phraseTexts.append(trimmed)
            }
        }
        var i = scalars.startIndex
        while i < scalars.endIndex {
            switch scalars[i] {
            case "(", "[", "{": depth += 1
            case ")", "]", "}": depth = max(depth - 1, 0)
            case "," where depth == 0:
                addPhrase(i)
                let next = scalars.index(after: i)
                segments.append((Substring(text)[i..<next].unicodeScalars, -1))
                start = next
            default: break
            }
            i = scalars.index(after: i)
        }
        addPhrase(scalars.endIndex)
        return (segments, phraseTexts)
    }

    /// Where `phrase` sits in `prompt`: the span of a phrase of the prompt with that text, otherwise the first
    /// place where the tokens of `phrase` encoded alone (without BOS/EOS) occur between BOS and EOS. Whole-word
    /// lookups only ("brown jacket" is found in "a brown jacket", "brown jack" is not); nil when absent or cut
    /// off by truncation.
    public func span(of phrase: String, in prompt: TokenizedPrompt) -> Range<Int>? {
        let wanted = phrase.trimmingWhitespace
        if let match = prompt.phrases.first(where: { $0.text == wanted }) { return match.range }
        let needle = contentTokens([(phrase.unicodeScalars[...], 0)]).map(\.id)
        guard !needle.isEmpty, prompt.eosIndex - 1 >= needle.count else { return nil }
        for start in 1...(prompt.eosIndex - needle.count) where prompt.ids[start..<(start + needle.count)].elementsEqual(needle) {
            return start..<(start + needle.count)
        }
        return nil
    }
}

private extension String {
    var trimmingWhitespace: String {
        String(String.UnicodeScalarView(unicodeScalars.drop(while: \.properties.isWhitespace)
            .reversed().drop(while: \.properties.isWhitespace).reversed()))
    }
}
