/// A TOML 1.0 parser in Swift: the document structure (tables, arrays of tables, dotted keys and the rules
/// on defining each table once), values in TOMLScalars.swift. Every error is a `TOMLError` at a line and
/// column; no input traps or aborts (Fuzz/FuzzTOML). Semantics follow Python's tomllib, which the tests
/// compare against (Tests/TOMLTests): a table is declared once, by a header or by dotted keys in one section;
/// inline tables and arrays are closed once written.
///
/// Written because toml++ 3.4 inside TOMLKit 0.6.0 aborts the process on malformed input (its parser
/// asserts preconditions that input can break; docs/decisions.md), and run configurations are user input.
public enum TOML {
    /// The document's root table.
    public static func parse(_ text: String) throws -> [String: TOMLValue] {
        var parser = TOMLParser(Array(text.utf8))
        return try parser.document()
    }
}

/// A table while the document is read: header-declared ("explicit"), created as a path prefix, by dotted keys
/// (declared once its section ends), or inline (closed).
final class TableNode {
    enum Entry {
        case value(TOMLValue)
        case table(TableNode)
        case tableArray(TableArray)
    }

    var entries: [String: Entry] = [:]
    var explicit: Bool
    var frozen = false

    init(explicit: Bool) { self.explicit = explicit }

    func freeze() {
        frozen = true
        for case .table(let child) in entries.values { child.freeze() }
    }

    var value: [String: TOMLValue] {
        entries.mapValues { entry in
            switch entry {
            case .value(let value): value
            case .table(let table): .table(table.value)
            case .tableArray(let array): .array(array.tables.map { .table($0.value) })
            }
        }
    }
}

final class TableArray {
    var tables: [TableNode] = []
}

struct TOMLParser {
    let bytes: [UInt8]
    var i = 0
    let root = TableNode(explicit: true)
    /// Tables created by dotted keys in the current section: declared (explicit) when the next header starts.
    var pending: [TableNode] = []
    var depth = 0
    static let maxDepth = 128

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    // MARK: Positions and errors

    var atEnd: Bool { i >= bytes.count }
    func peek(_ offset: Int = 0) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

    func error(_ message: String, at offset: Int? = nil) -> TOMLError {
        let end = min(offset ?? i, bytes.count)
        var line = 1, column = 1
        for byte in bytes[..<end] {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1  // one per scalar: skip UTF-8 continuation bytes
            }
        }
        return TOMLError(line: line, column: column, message: message)
    }

    /// The next character for messages: printable as itself, others as U+XXXX.
    func describeNext() -> String {
        guard let byte = peek() else { return "the end of the document" }
        if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x20 { return "a space" }
        if byte == 0x0A { return "a line break" }
        if byte < 0x80 { return "U+" + String(byte, radix: 16, uppercase: true).leftPadded(4) }
        var end = i + 1
        while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
        return "'" + String(decoding: bytes[i..<end], as: UTF8.self) + "'"
    }

    // MARK: Whitespace, comments, line ends

    mutating func skipSpaces() {
        while let c = peek(), c == 0x20 || c == 0x09 { i += 1 }
    }

    /// A line break at `i` (LF or CRLF), consumed; false otherwise. A lone CR is an error.
    mutating func lineBreak() throws -> Bool {
        if peek() == 0x0A {
            i += 1
            return true
        }
        if peek() == 0x0D {
            guard peek(1) == 0x0A else { throw error("a carriage return must be followed by a line feed") }
            i += 2
            return true
        }
        return false
    }

    /// A comment at `i` up to (not including) its line break; control characters other than tab are errors.
    mutating func skipComment() throws {
        guard peek() == 0x23 else { return }
        i += 1
        while let c = peek(), c != 0x0A {
            if c == 0x0D, peek(1) == 0x0A { return }
            if (c < 0x20 && c != 0x09) || c == 0x7F { throw error("control character \(describeNext()) in a comment") }
            i += 1
        }
    }

    /// After a key/value pair or a header: spaces, an optional comment, then a line break or the end.
    mutating func endOfLine() throws {
        skipSpaces()
        try skipComment()
        let ended = try atEnd || lineBreak()
        guard ended else {
            throw error("expected the end of the line, saw \(describeNext())")
        }
    }

    // MARK: Document

    mutating func document() throws -> [String: TOMLValue] {
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
        var current = root
        while !atEnd {
            skipSpaces()
            guard let c = peek() else { break }
            if c == 0x23 {
                try skipComment()
            } else if c == 0x0A || c == 0x0D {
                _ = try lineBreak()
            } else if c == 0x5B {
                current = try header()
                try endOfLine()
            } else {
                try keyValue(into: current)
                try endOfLine()
            }
        }
        return root.value
    }

    /// `[a.b]` or `[[a.b]]`; returns the table that the following key/value pairs go into.
    mutating func header() throws -> TableNode {
        let start = i
        let isArray = peek(1) == 0x5B
        i += isArray ? 2 : 1
        let key = try dottedKey()
        guard peek() == 0x5D, !isArray || peek(1) == 0x5D else {
            throw error("expected '\(isArray ? "]]" : "]")' to close the table header, saw \(describeNext())")
        }
        i += isArray ? 2 : 1
        for table in pending { table.explicit = true }
        pending = []
        var table = root
        for (segment, offset) in key.dropLast() {
            switch table.entries[segment] {
            case nil:
                let child = TableNode(explicit: false)
                table.entries[segment] = .table(child)
                table = child
            case .table(let child):
                guard !child.frozen else { throw error("'\(segment)' is an inline table and cannot be extended", at: offset) }
                table = child
            case .tableArray(let array):
                table = array.tables[array.tables.count - 1]
            case .value:
                throw error("'\(segment)' is a value, not a table", at: offset)
            }
        }
        let (last, offset) = key[key.count - 1]
        if isArray {
            let element = TableNode(explicit: true)
            switch table.entries[last] {
            case nil:
                let array = TableArray()
                array.tables = [element]
                table.entries[last] = .tableArray(array)
            case .tableArray(let array):
                array.tables.append(element)
            default:
                throw error("'\(last)' is already defined and is not an array of tables", at: offset)
            }
            return element
        }
        switch table.entries[last] {
        case nil:
            let child = TableNode(explicit: true)
            table.entries[last] = .table(child)
            return child
        case .table(let child):
            guard !child.explicit, !child.frozen else { throw error("table '\(last)' is defined twice", at: start) }
            child.explicit = true
            return child
        case .tableArray:
            throw error("'\(last)' is an array of tables; [[\(last)]] adds to it", at: offset)
        case .value:
            throw error("'\(last)' is already defined as a value", at: offset)
        }
    }

    // MARK: Keys

    /// `a`, `"a b"`, `'a'`, joined by dots with optional spaces; each segment with its offset.
    mutating func dottedKey() throws -> [(String, Int)] {
        var parts: [(String, Int)] = []
        while true {
            skipSpaces()
            let start = i
            switch peek() {
            case 0x22:
                guard !(peek(1) == 0x22 && peek(2) == 0x22) else { throw error("a key cannot be a multi-line string") }
                parts.append((try basicString(), start))
            case 0x27:
                guard !(peek(1) == 0x27 && peek(2) == 0x27) else { throw error("a key cannot be a multi-line string") }
                parts.append((try literalString(), start))
            case let c? where Self.isBareKeyByte(c):
                while let c = peek(), Self.isBareKeyByte(c) { i += 1 }
                parts.append((String(decoding: bytes[start..<i], as: UTF8.self), start))
            default:
                throw error("expected a key (letters, digits, '_', '-' or a quoted string), saw \(describeNext())")
            }
            skipSpaces()
            guard peek() == 0x2E else { return parts }
            i += 1
        }
    }

    static func isBareKeyByte(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
    }

    // MARK: Key/value pairs

    /// `key = value` into `table` (a section's table or an inline table being read).
    mutating func keyValue(into table: TableNode, inline: Bool = false) throws {
        let key = try dottedKey()
        guard peek() == 0x3D else { throw error("expected '=' after the key, saw \(describeNext())") }
        i += 1
        skipSpaces()
        let value = try value()
        var target = table
        for (segment, offset) in key.dropLast() {
            switch target.entries[segment] {
            case nil:
                let child = TableNode(explicit: false)
                target.entries[segment] = .table(child)
                if !inline { pending.append(child) }
                target = child
            case .table(let child):
                guard !child.frozen else { throw error("'\(segment)' is an inline table and cannot be extended", at: offset) }
                guard !child.explicit else {
                    throw error("table '\(segment)' is already defined; dotted keys cannot add to it here", at: offset)
                }
                if !inline, !pending.contains(where: { $0 === child }) { pending.append(child) }
                target = child
            case .tableArray, .value:
                throw error("'\(segment)' is already defined and is not a table", at: offset)
            }
        }
        let (last, offset) = key[key.count - 1]
        guard target.entries[last] == nil else { throw error("key '\(last)' is defined twice", at: offset) }
        target.entries[last] = value
    }

    // MARK: Values

    mutating func value() throws -> TableNode.Entry {
        switch peek() {
        case 0x22:
            return .value(.string(peek(1) == 0x22 && peek(2) == 0x22 ? try multiLineString(basic: true) : try basicString()))
        case 0x27:
            return .value(.string(peek(1) == 0x27 && peek(2) == 0x27 ? try multiLineString(basic: false) : try literalString()))
        case 0x5B:
            return .value(try array())
        case 0x7B:
            return .table(try inlineTable())
        case 0x74 where bytes[i...].starts(with: Array("true".utf8)):
            i += 4
            return .value(.boolean(true))
        case 0x66 where bytes[i...].starts(with: Array("false".utf8)):
            i += 5
            return .value(.boolean(false))
        default:
            return .value(try numberOrDate())
        }
    }

    mutating func nest() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("arrays and inline tables nest deeper than \(Self.maxDepth)") }
    }

    /// Skips spaces, line breaks and comments (inside arrays).
    mutating func skipArraySpace() throws {
        while true {
            skipSpaces()
            try skipComment()
            guard try lineBreak() else { return }
        }
    }

    mutating func array() throws -> TOMLValue {
        try nest()
        defer { depth -= 1 }
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipArraySpace()
            if peek() == 0x5D {
                i += 1
                return .array(items)
            }
            guard !atEnd else { throw error("the array is not closed (expected ']')") }
            switch try value() {
            case .value(let item): items.append(item)
            case .table(let table): items.append(.table(table.value))
            case .tableArray: throw error("internal: an array of tables inside an array")
            }
            try skipArraySpace()
            if peek() == 0x2C {
                i += 1
            } else if peek() != 0x5D {
                throw error("expected ',' or ']' in the array, saw \(describeNext())")
            }
        }
    }

    /// `{ a = 1, b.c = 2 }` on one line; closed (frozen) once read.
    mutating func inlineTable() throws -> TableNode {
        try nest()
        defer { depth -= 1 }
        i += 1
        let table = TableNode(explicit: true)
        skipSpaces()
        if peek() == 0x7D {
            i += 1
            table.freeze()
            return table
        }
        while true {
            try keyValue(into: table, inline: true)
            skipSpaces()
            if peek() == 0x7D {
                i += 1
                table.freeze()
                return table
            }
            guard peek() == 0x2C else {
                throw error("expected ',' or '}' in the inline table, saw \(describeNext())")
            }
            i += 1
            skipSpaces()
            if peek() == 0x7D { throw error("an inline table cannot end with ','") }
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
