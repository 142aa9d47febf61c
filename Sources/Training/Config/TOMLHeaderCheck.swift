/// Finds TOML table headers whose first key character is invalid (`[=`, `[#x]`, `[[[1]]]`) before TOMLKit sees
/// them. toml++ 3.4, which TOMLKit 0.6.0 bundles, aborts the process on these instead of reporting an error:
/// `parse_table_header` calls `parse_key` without checking its precondition `is_bare_key_character(*cp) ||
/// is_string_delimiter(*cp)`, and that assert is live in SwiftPM builds (no NDEBUG). Upstream fixed it after
/// 3.4 (marzer/tomlplusplus#301); the fuzzer found it here (FuzzTrainingConfig, docs/fuzzing.md).
///
/// The scan tracks only what decides whether a `[` opens a table header: a header is the first thing on a line
/// at document level, i.e. outside strings, comments, arrays and inline tables. On valid TOML prefixes this is
/// exactly where toml++ parses headers; after toml++'s first error it stops parsing, so the scan's view of
/// malformed input beyond that point never matters for crashes (a document it flags is invalid TOML anyway).
enum TOMLHeaderCheck {
    struct Finding: Equatable {
        let line: Int
        let column: Int
        let character: Unicode.Scalar?
    }

    /// The first table header that does not start with a key, `]` (toml++ reports blank headers itself) or
    /// the end of the text; nil when there is none.
    static func firstMalformedHeader(in text: String) -> Finding? {
        let s = Array(text.unicodeScalars)
        var i = s.first == "\u{FEFF}" ? 1 : 0
        var line = 1, lineStart = i
        var depth = 0               // open arrays and inline tables of the current value
        var atLineStart = true      // only spaces and tabs so far on this line
        var inHeader = false        // the rest of a header line: its brackets do not nest

        func newline(at index: Int) {
            line += 1
            lineStart = index + 1
        }

        while i < s.count {
            let c = s[i]
            switch c {
            case "\n":
                newline(at: i)
                atLineStart = true
                inHeader = false
                i += 1
            case " ", "\t":
                i += 1
            case "#":
                while i < s.count, s[i] != "\n" { i += 1 }
            case "\"", "'":
                atLineStart = false
                i = skipString(s, from: i, newline: newline)
            case "[" where depth == 0 && atLineStart && !inHeader:
                atLineStart = false
                inHeader = true
                var j = i + 1
                let leading = skipSpaces(s, &j)
                if j < s.count, s[j] == "[", !leading {
                    j += 1
                    _ = skipSpaces(s, &j)
                }
                if j < s.count, !(isBareKeyCharacter(s[j]) || s[j] == "\"" || s[j] == "'" || s[j] == "]") {
                    // toml++ reports a blank `[ [` itself; only the key position can reach the assert.
                    if !(leading && s[j] == "[") {
                        return Finding(line: line, column: j - lineStart + 1, character: s[j])
                    }
                }
                i += 1
            case "[", "{":
                atLineStart = false
                if !inHeader { depth += 1 }
                i += 1
            case "]", "}":
                atLineStart = false
                if !inHeader, depth > 0 { depth -= 1 }
                i += 1
            default:
                atLineStart = false
                i += 1
            }
        }
        return nil
    }

    /// TOML 1.0 bare keys: A-Z a-z 0-9 _ - (toml++ 3.4 accepts no others without TOML_ENABLE_UNRELEASED_FEATURES).
    static func isBareKeyCharacter(_ c: Unicode.Scalar) -> Bool {
        switch c {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": return true
        default: return false
        }
    }

    /// Advances over spaces and tabs; true when there were any.
    static func skipSpaces(_ s: [Unicode.Scalar], _ j: inout Int) -> Bool {
        let start = j
        while j < s.count, s[j] == " " || s[j] == "\t" { j += 1 }
        return j > start
    }

    /// The index after the string that starts at `start` (basic or literal, single- or multi-line). A
    /// single-line string also ends at a line break (toml++ rejects it there); an unterminated multi-line
    /// string runs to the end.
    static func skipString(_ s: [Unicode.Scalar], from start: Int, newline: (Int) -> Void) -> Int {
        let quote = s[start]
        let escapes = quote == "\""
        let multiLine = start + 2 < s.count && s[start + 1] == quote && s[start + 2] == quote
        var i = start + (multiLine ? 3 : 1)
        while i < s.count {
            let c = s[i]
            if c == "\n" {
                if !multiLine { return i }
                newline(i)
                i += 1
            } else if escapes && c == "\\" {
                if i + 1 < s.count, s[i + 1] == "\n" {
                    if !multiLine { return i + 1 }
                    newline(i + 1)
                }
                i += 2
            } else if c == quote {
                guard multiLine else { return i + 1 }
                if i + 2 < s.count, s[i + 1] == quote, s[i + 2] == quote {
                    // Up to two more quotes belong to the content: `""""" ` closes after five.
                    var end = i + 3
                    var extra = 0
                    while extra < 2, end < s.count, s[end] == quote { end += 1; extra += 1 }
                    return end
                }
                i += 1
            } else {
                i += 1
            }
        }
        return i
    }
}
