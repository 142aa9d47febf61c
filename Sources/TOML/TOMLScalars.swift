/// TOML 1.0 strings, numbers, booleans' neighbours and date-times.
extension TOMLParser {
    static func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }

    // MARK: Strings

    /// `"..."` with escapes, on one line.
    mutating func basicString() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("the string is not closed (expected '\"')") }
            switch c {
            case 0x22:
                i += 1
                return String(decoding: out, as: UTF8.self)
            case 0x5C:
                try escape(into: &out)
            case 0x0A, 0x0D:
                throw error("the string is not closed on its line (expected '\"')")
            default:
                guard !Self.isControl(c) else { throw error("control character \(describeNext()) in a string") }
                out.append(c)
                i += 1
            }
        }
    }

    /// `'...'`, verbatim, on one line.
    mutating func literalString() throws -> String {
        i += 1
        let start = i
        while true {
            guard let c = peek() else { throw error("the string is not closed (expected \"'\")") }
            if c == 0x27 {
                defer { i += 1 }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
            if c == 0x0A || c == 0x0D { throw error("the string is not closed on its line (expected \"'\")") }
            guard !Self.isControl(c) else { throw error("control character \(describeNext()) in a string") }
            i += 1
        }
    }

    /// `"""..."""` (escapes, line-ending backslash) or `'''...'''`; a line break right after the opening
    /// quotes is not part of the string; up to two quotes may stand right before the closing three.
    mutating func multiLineString(basic: Bool) throws -> String {
        let quote: UInt8 = basic ? 0x22 : 0x27
        i += 3
        if peek() == 0x0A { i += 1 } else if peek() == 0x0D, peek(1) == 0x0A { i += 2 }
        var out: [UInt8] = []
        while true {
            guard let c = peek() else { throw error("the multi-line string is not closed") }
            if c == quote {
                var run = 0
                while peek(run) == quote { run += 1 }
                if run < 3 {
                    out.append(contentsOf: repeatElement(quote, count: run))
                    i += run
                    continue
                }
                guard run <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                out.append(contentsOf: repeatElement(quote, count: run - 3))
                i += run
                return String(decoding: out, as: UTF8.self)
            }
            if basic, c == 0x5C {
                // A backslash at the end of a line (spaces allowed before the break) trims the break and all
                // whitespace that follows.
                var j = i + 1
                while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                if j < bytes.count, bytes[j] == 0x0A || (bytes[j] == 0x0D && j + 1 < bytes.count && bytes[j + 1] == 0x0A) {
                    i = j
                    while let w = peek(), w == 0x20 || w == 0x09 || w == 0x0A || (w == 0x0D && peek(1) == 0x0A) {
                        i += w == 0x0D ? 2 : 1
                    }
                    continue
                }
                try escape(into: &out)
                continue
            }
            if c == 0x0D {
                guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
                out.append(0x0A)  // CRLF reads as LF, as in tomllib (the spec lets parsers normalise line breaks)
                i += 2
                continue
            }
            if c != 0x0A, Self.isControl(c) { throw error("control character \(describeNext()) in a string") }
            out.append(c)
            i += 1
        }
    }

    /// A backslash escape at `i`: \b \t \n \f \r \" \\ \uXXXX \UXXXXXXXX.
    mutating func escape(into out: inout [UInt8]) throws {
        let start = i
        guard let c = peek(1) else { throw error("the string ends inside an escape") }
        i += 2
        let simple: [UInt8: UInt8] = [0x62: 0x08, 0x74: 0x09, 0x6E: 0x0A, 0x66: 0x0C, 0x72: 0x0D, 0x22: 0x22, 0x5C: 0x5C]
        if let byte = simple[c] {
            out.append(byte)
            return
        }
        guard c == 0x75 || c == 0x55 else {
            throw error("unknown escape '\\\(describeEscape(c))' (valid: \\b \\t \\n \\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX)", at: start)
        }
        let count = c == 0x75 ? 4 : 8
        guard i + count <= bytes.count, let code = UInt32(String(decoding: bytes[i..<(i + count)], as: UTF8.self), radix: 16),
              bytes[i..<(i + count)].allSatisfy({ Self.isHexDigit($0) }), let scalar = Unicode.Scalar(code)
        else { throw error("\\\(c == 0x75 ? "u" : "U") needs \(count) hex digits of a Unicode scalar value", at: start) }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
        i += count
    }

    func describeEscape(_ c: UInt8) -> String {
        c >= 0x21 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "U+" + String(c, radix: 16, uppercase: true).leftPadded(4)
    }

    static func isHexDigit(_ c: UInt8) -> Bool { (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    // MARK: Numbers and date-times

    /// An integer, float, inf/nan or date-time: the token of [0-9A-Za-z_+-.:] at `i` (a date followed by a space
    /// and a time is one token), then classified.
    mutating func numberOrDate() throws -> TOMLValue {
        let start = i
        func isTokenByte(_ c: UInt8) -> Bool {
            Self.isBareKeyByte(c) || c == 0x2B || c == 0x2E || c == 0x3A
        }
        while let c = peek(), isTokenByte(c) { i += 1 }
        if i - start == 10, Self.isDate(bytes[start..<i]), peek() == 0x20, let next = peek(1), Self.isDigit(next) {
            i += 1
            while let c = peek(), isTokenByte(c) { i += 1 }
        }
        guard i > start else { throw error("expected a value, saw \(describeNext())") }
        let token = Array(bytes[start..<i])
        let text = String(decoding: token, as: UTF8.self)
        if let value = Self.number(token) { return value }
        if Self.isDateTime(token) { return .datetime(text) }
        if Self.looksLikeInteger(token) { throw error("integer \(text) does not fit in 64 bits", at: start) }
        throw error("'\(text)' is not a valid value (strings need quotes)", at: start)
    }

    static func looksLikeInteger(_ t: [UInt8]) -> Bool {
        let body = t.first == 0x2B || t.first == 0x2D ? Array(t.dropFirst()) : t
        return !body.isEmpty && body.allSatisfy { isDigit($0) || $0 == 0x5F } && decimalDigits(body)
    }

    /// Digits with single underscores between digits.
    static func decimalDigits(_ t: ArraySlice<UInt8>) -> Bool { digits(t, isDigit) }
    static func decimalDigits(_ t: [UInt8]) -> Bool { digits(t[...], isDigit) }

    static func digits(_ t: ArraySlice<UInt8>, _ valid: (UInt8) -> Bool) -> Bool {
        guard let first = t.first, let last = t.last, valid(first), valid(last) else { return false }
        var previousUnderscore = false
        for c in t {
            if c == 0x5F {
                if previousUnderscore { return false }
                previousUnderscore = true
            } else {
                guard valid(c) else { return false }
                previousUnderscore = false
            }
        }
        return true
    }

    static func number(_ t: [UInt8]) -> TOMLValue? {
        let text = String(decoding: t, as: UTF8.self)
        switch text {
        case "inf", "+inf": return .float(.infinity)
        case "-inf": return .float(-.infinity)
        case "nan", "+nan", "-nan": return .float(.nan)
        default: break
        }
        if t.count > 2, t[0] == 0x30, let radix: Int = [0x78: 16, 0x6F: 8, 0x62: 2][t[1]] {
            let body = t[2...]
            let valid: (UInt8) -> Bool
            switch radix {
            case 16: valid = isHexDigit
            case 8: valid = { (c: UInt8) -> Bool in c >= 0x30 && c <= 0x37 }
            default: valid = { (c: UInt8) -> Bool in c == 0x30 || c == 0x31 }
            }
            guard digits(body, valid) else { return nil }
            return Int64(String(decoding: body.filter { $0 != 0x5F }, as: UTF8.self), radix: radix).map { .integer($0) }
        }
        var k = 0
        if t.first == 0x2B || t.first == 0x2D { k = 1 }
        // Integer part: digits up to '.', 'e' or 'E'; no leading zeros.
        var end = k
        while end < t.count, isDigit(t[end]) || t[end] == 0x5F { end += 1 }
        let integerPart = t[k..<end]
        guard decimalDigits(integerPart), !(integerPart.count > 1 && integerPart.first == 0x30) else { return nil }
        var isFloat = false
        if end < t.count, t[end] == 0x2E {
            var fractionEnd = end + 1
            while fractionEnd < t.count, isDigit(t[fractionEnd]) || t[fractionEnd] == 0x5F { fractionEnd += 1 }
            guard decimalDigits(t[(end + 1)..<fractionEnd]) else { return nil }
            end = fractionEnd
            isFloat = true
        }
        if end < t.count, t[end] == 0x65 || t[end] == 0x45 {
            var exponentStart = end + 1
            if exponentStart < t.count, t[exponentStart] == 0x2B || t[exponentStart] == 0x2D { exponentStart += 1 }
            guard decimalDigits(t[exponentStart...]) else { return nil }
            end = t.count
            isFloat = true
        }
        guard end == t.count else { return nil }
        let clean = String(decoding: t.filter { $0 != 0x5F }, as: UTF8.self)
        if isFloat { return Double(clean).map { .float($0) } }
        return Int64(clean).map { .integer($0) }
    }

    // MARK: Date-times

    static func twoDigits(_ t: ArraySlice<UInt8>, _ at: Int) -> Int? {
        guard at + 1 < t.endIndex, isDigit(t[at]), isDigit(t[at + 1]) else { return nil }
        return Int(t[at] - 0x30) * 10 + Int(t[at + 1] - 0x30)
    }

    /// YYYY-MM-DD with a real day of that month.
    static func isDate(_ t: ArraySlice<UInt8>) -> Bool {
        let s = t.startIndex
        guard t.count == 10, t[s + 4] == 0x2D, t[s + 7] == 0x2D, let century = twoDigits(t, s), let yy = twoDigits(t, s + 2),
              let month = twoDigits(t, s + 5), let day = twoDigits(t, s + 8), (1...12).contains(month) else { return false }
        let year: Int = century * 100 + yy
        let leap: Bool = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays: [Int] = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        let days = monthDays[month - 1]
        return (1...days).contains(day)
    }

    /// HH:MM:SS with an optional fraction; the index after it, or nil.
    static func timeEnd(_ t: ArraySlice<UInt8>, from s: Int) -> Int? {
        guard s + 8 <= t.endIndex, t[s + 2] == 0x3A, t[s + 5] == 0x3A, let h = twoDigits(t, s), let m = twoDigits(t, s + 3),
              let sec = twoDigits(t, s + 6), h <= 23, m <= 59, sec <= 60 else { return nil }
        var end = s + 8
        if end < t.endIndex, t[end] == 0x2E {
            end += 1
            let digitsStart = end
            while end < t.endIndex, isDigit(t[end]) { end += 1 }
            guard end > digitsStart else { return nil }
        }
        return end
    }

    static func isDateTime(_ token: [UInt8]) -> Bool {
        let t = token[...]
        if let end = timeEnd(t, from: 0), end == t.count { return true }  // local time
        guard t.count >= 10, isDate(t[0..<10]) else { return false }
        if t.count == 10 { return true }  // local date
        guard [0x54, 0x74, 0x20].contains(t[10]), let end = timeEnd(t, from: 11) else { return false }
        if end == t.count { return true }  // local date-time
        if end + 1 == t.count, t[end] == 0x5A || t[end] == 0x7A { return true }
        guard end + 6 == t.count, t[end] == 0x2B || t[end] == 0x2D, t[end + 3] == 0x3A, let h = twoDigits(t, end + 1),
              let m = twoDigits(t, end + 4), h <= 23, m <= 59 else { return false }
        return true
    }
}
