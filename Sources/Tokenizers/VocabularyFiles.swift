import Foundation
import InputChecks

/// Readers for the three vocabulary formats; each returns the vocabulary and the merges in rank order.
struct Vocabulary {
    var vocab: [String: Int]
    var merges: [(String, String)]
    /// For error messages: where merge number i came from (a file line, or an entry of a JSON array).
    var mergeLocation: (Int) -> TokenizerError.MergeLocation
    var path: String
    var endOfWordSuffix = "</w>"
}

extension TokenizerError {
    struct MergeLocation {
        var path: String
        var line: Int
    }
}

func readFile(_ path: String) throws -> Data {
    // stat before open, O_NONBLOCK: a FIFO named vocab.json must fail at once, not hang.
    do {
        return try InputFile.data(path, maxBytes: 1 << 30, kind: "a tokenizer file", allowEmpty: true)
    } catch let error as InputFileError {
        if error.reason.hasPrefix("no such file") && !error.reason.contains("not a directory") {
            throw TokenizerError.fileNotFound(path: path)
        }
        throw TokenizerError.unreadableFile(path: path, reason: error.reason)
    }
}

func readJSON(_ path: String) throws -> Any {
    let data = try readFile(path)
    do {
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
        throw TokenizerError.malformedFile(path: path, reason: "invalid JSON (\(error))")
    }
}

/// A vocab.json-style object: token -> integer id.
func parseVocab(_ object: Any?, path: String, what: String) throws -> [String: Int] {
    guard let dict = object as? [String: Any] else {
        throw TokenizerError.malformedFile(path: path, reason: "\(what) is not an object of token -> id")
    }
    var vocab: [String: Int] = [:]
    vocab.reserveCapacity(dict.count)
    for (token, value) in dict {
        guard let number = value as? NSNumber, let id = Int(exactly: number.doubleValue), id >= 0, id < 1 << 31 else {
            throw TokenizerError.malformedFile(path: path, reason: "\(what): id of \(token) is not an integer in 0..<2^31")
        }
        vocab[token] = id
    }
    return vocab
}

/// Lines of a UTF-8 file split like Rust's `BufRead::lines` (no empty line after a final newline; a trailing
/// "\r" dropped), each with its 1-based line number.
func readLines(_ path: String, stripCarriageReturn: Bool) throws -> [(number: Int, text: String)] {
    let data = try readFile(path)
    var lines: [(Int, String)] = []
    var start = data.startIndex
    var number = 1
    func add(_ range: Range<Data.Index>) throws {
        var bytes = data[range]
        if stripCarriageReturn, bytes.last == 0x0D { bytes = bytes.dropLast() }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw TokenizerError.badMergesLine(path: path, line: number, reason: "not valid UTF-8")
        }
        lines.append((number, text))
        number += 1
    }
    while let newline = data[start...].firstIndex(of: 0x0A) {
        try add(start..<newline)
        start = data.index(after: newline)
    }
    if start < data.endIndex { try add(start..<data.endIndex) }
    return lines
}

extension Vocabulary {
    /// A diffusers/transformers `vocab.json` + `merges.txt` pair. merges.txt lines are "left right"; lines
    /// starting with "#version" are skipped (tokenizers' `BPE::read_file`).
    static func read(vocabFile: String, mergesFile: String) throws -> Vocabulary {
        let vocab = try parseVocab(try readJSON(vocabFile), path: vocabFile, what: "vocab.json")
        var merges: [(String, String)] = []
        var lineNumbers: [Int] = []
        for (number, line) in try readLines(mergesFile, stripCarriageReturn: true) {
            if line.hasPrefix("#version") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.badMergesLine(path: mergesFile, line: number,
                                                   reason: "expected two tokens separated by one space, got \"\(line)\"")
            }
            merges.append((String(parts[0]), String(parts[1])))
            lineNumbers.append(number)
        }
        return Vocabulary(vocab: vocab, merges: merges, mergeLocation: { .init(path: mergesFile, line: lineNumbers[$0]) },
                          path: vocabFile)
    }

    /// A tokenizers `tokenizer.json`: `model.vocab` (object) and `model.merges` ("a b" strings or [a, b] pairs).
    /// Merge errors name the entry's 1-based position in `model.merges` as the line.
    static func read(tokenizerFile path: String) throws -> Vocabulary {
        guard let root = try readJSON(path) as? [String: Any], let model = root["model"] as? [String: Any] else {
            throw TokenizerError.malformedFile(path: path, reason: "no \"model\" object")
        }
        if let type = model["type"] as? String, type != "BPE" {
            throw TokenizerError.malformedFile(path: path, reason: "model.type is \(type), expected BPE")
        }
        let vocab = try parseVocab(model["vocab"], path: path, what: "model.vocab")
        guard let entries = model["merges"] as? [Any] else {
            throw TokenizerError.malformedFile(path: path, reason: "model.merges is missing or not an array")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            let parts: [String]?
            if let text = entry as? String {
                parts = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            } else {
                parts = (entry as? [Any]).flatMap { $0 as? [String] }
            }
            guard let parts, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw TokenizerError.badMergesLine(path: path, line: index + 1,
                                                   reason: "model.merges entry is not \"a b\" or [a, b]: \(entry)")
            }
            merges.append((parts[0], parts[1]))
        }
        var result = Vocabulary(vocab: vocab, merges: merges, mergeLocation: { .init(path: path, line: $0 + 1) }, path: path)
        if let suffix = model["end_of_word_suffix"] as? String { result.endOfWordSuffix = suffix }
        return result
    }

    /// open_clip's `bpe_simple_vocab_16e6.txt.gz`, turned into a vocabulary exactly as SimpleTokenizer does:
    /// the 256 byte characters, the same with "</w>", the first 49152-256-2 merges joined, then the two special
    /// tokens (under transformers' names <|startoftext|> 49406, <|endoftext|> 49407). Line 1 is a header.
    static func read(openCLIPVocabulary path: String) throws -> Vocabulary {
        let mergeCount = 49152 - 256 - 2
        let data = try Gzip.decompress(try readFile(path), path: path)
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizerError.malformedFile(path: path, reason: "decompressed text is not valid UTF-8")
        }
        // str.split("\n"), then the lines after the header.
        let lines = text.utf8.split(separator: 0x0A, maxSplits: mergeCount + 1, omittingEmptySubsequences: false)
        guard lines.count > mergeCount else {
            throw TokenizerError.malformedFile(path: path, reason: "has \(max(lines.count - 1, 0)) merge lines, expected at least \(mergeCount)")
        }
        var merges: [(String, String)] = []
        merges.reserveCapacity(mergeCount)
        for index in 1...mergeCount {
            // str.split() on whitespace; the merge tokens themselves never contain any.
            let parts = lines[index].split(whereSeparator: { [0x20, 0x09, 0x0D, 0x0B, 0x0C].contains($0) })
            guard parts.count == 2 else {
                throw TokenizerError.badMergesLine(path: path, line: index + 1,
                                                   reason: "expected two tokens, got \"\(String(decoding: lines[index], as: UTF8.self))\"")
            }
            merges.append((String(decoding: parts[0], as: UTF8.self), String(decoding: parts[1], as: UTF8.self)))
        }
        var ordered = ByteLevel.byteOrder.map { String(ByteLevel.characters[Int($0)]) }
        ordered += ordered.map { $0 + "</w>" }
        ordered += merges.map { $0.0 + $0.1 }
        ordered += ["<|startoftext|>", "<|endoftext|>"]
        var vocab: [String: Int] = [:]
        vocab.reserveCapacity(ordered.count)
        for (id, token) in ordered.enumerated() { vocab[token] = id }
        return Vocabulary(vocab: vocab, merges: merges, mergeLocation: { .init(path: path, line: $0 + 2) }, path: path)
    }
}
