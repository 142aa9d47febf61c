/// CLIPTokenizer's pre-tokenizer on normalized text: the Split regex
/// `<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+`
/// (matches kept, the rest, i.e. whitespace, removed), then ByteLevel's own GPT-2 split of each piece, which
/// only changes the special-token strings ("<|endoftext|>" becomes "<|", "endoftext", "|>").
enum PreTokenizer {
    private static let specials: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map { Array($0.unicodeScalars) }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isOther(_ s: Unicode.Scalar) -> Bool {
        !s.properties.isWhitespace && !isLetter(s) && !isNumber(s)
    }

    /// Length of `'s|'t|'re|'ve|'m|'ll|'d` at `i`, or 0.
    private static func contraction(_ text: ArraySlice<Unicode.Scalar>, at i: Int) -> Int {
        guard text[i] == "'", i + 1 < text.endIndex else { return 0 }
        switch text[i + 1] {
        case "s", "t", "m", "d": return 2
        case "r" where i + 2 < text.endIndex && text[i + 2] == "e": return 3
        case "v" where i + 2 < text.endIndex && text[i + 2] == "e": return 3
        case "l" where i + 2 < text.endIndex && text[i + 2] == "l": return 3
        default: return 0
        }
    }

    private static func run(_ text: ArraySlice<Unicode.Scalar>, from i: Int, while test: (Unicode.Scalar) -> Bool) -> Int {
        var j = i
        while j < text.endIndex && test(text[j]) { j += 1 }
        return j
    }

    /// The words of `text` as index ranges into it.
    static func words(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var i = text.startIndex
        while i < text.endIndex {
            if let special = specials.first(where: { text[i...].starts(with: $0) }) {
                // ByteLevel's GPT-2 regex then splits it like any other text.
                words.append(contentsOf: gpt2Split(text[i..<(i + special.count)]))
                i += special.count
            } else if case let n = contraction(text, at: i), n > 0 {
                words.append(i..<(i + n)); i += n
            } else if isLetter(text[i]) {
                let end = run(text, from: i, while: isLetter); words.append(i..<end); i = end
            } else if isNumber(text[i]) {
                words.append(i..<(i + 1)); i += 1
            } else if text[i].properties.isWhitespace {
                i += 1
            } else {
                let end = run(text, from: i, while: isOther); words.append(i..<end); i = end
            }
        }
        return words
    }

    /// GPT-2's `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` on a piece without
    /// whitespace.
    private static func gpt2Split(_ text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        var words: [Range<Int>] = []
        var i = text.startIndex
        while i < text.endIndex {
            let end: Int
            if case let n = contraction(text, at: i), n > 0 {
                end = i + n
            } else if isLetter(text[i]) {
                end = run(text, from: i, while: isLetter)
            } else if isNumber(text[i]) {
                end = run(text, from: i, while: isNumber)
            } else {
                end = max(run(text, from: i, while: isOther), i + 1)
            }
            words.append(i..<end)
            i = end
        }
        return words
    }
}
