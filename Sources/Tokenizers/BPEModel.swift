/// tokenizers' BPE model as CLIPTokenizer configures it: characters of a byte-level word are looked up
/// in the vocabulary (the last one with the end-of-word suffix "</w>"), a character missing from it becomes
/// the unknown token (not fused), then the adjacent pair with the lowest merge rank is merged, leftmost
/// first, until no pair has a merge.
struct BPEModel: Sendable {
    /// One token of a word and how many bytes of the word it covers.
    struct Piece: Sendable, Equatable {
        var id: Int
        var byteCount: Int
    }

    let vocab: [String: Int]
    let tokens: [Int: String]
    let endOfWordSuffix: String
    let unknownID: Int
    /// (left id, right id) packed into one key -> (rank, merged id).
    private let merges: [UInt64: (rank: Int, id: Int)]
    private let byteIDs: [Int?]
    private let finalByteIDs: [Int?]

    /// A merge whose parts or result are not in `vocab` is an error (as in tokenizers), reported through
    /// `mergeError(index, reason)` so that the caller can name the file and line.
    init(vocab: [String: Int], merges: [(String, String)], unknownToken: String, endOfWordSuffix: String = "</w>",
         mergeError: (Int, String) -> TokenizerError, vocabError: (String) -> TokenizerError) throws {
        self.vocab = vocab
        var tokens: [Int: String] = [:]
        for (token, id) in vocab { tokens[id] = token }
        self.tokens = tokens
        self.endOfWordSuffix = endOfWordSuffix
        guard let unknownID = vocab[unknownToken] else {
            throw vocabError("the unknown token \(unknownToken) is not in the vocabulary")
        }
        self.unknownID = unknownID
        var table: [UInt64: (rank: Int, id: Int)] = [:]
        table.reserveCapacity(merges.count)
        for (rank, (a, b)) in merges.enumerated() {
            guard let left = vocab[a] else { throw mergeError(rank, "\(a) is not in the vocabulary") }
            guard let right = vocab[b] else { throw mergeError(rank, "\(b) is not in the vocabulary") }
            guard let merged = vocab[a + b] else { throw mergeError(rank, "\(a + b) is not in the vocabulary") }
            // A repeated pair keeps its last rank, like a dict/HashMap built in file order.
            table[Self.key(left, right)] = (rank, merged)
        }
        self.merges = table
        byteIDs = ByteLevel.characters.map { vocab[String($0)] }
        finalByteIDs = ByteLevel.characters.map { vocab[String($0) + endOfWordSuffix] }
    }

    private static func key(_ a: Int, _ b: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: a)) << 32 | UInt64(UInt32(truncatingIfNeeded: b))
    }

    /// The tokens of one pre-tokenized word, given as its UTF-8 bytes.
    func tokenize(_ bytes: [UInt8]) -> [Piece] {
        var word: [Piece] = bytes.indices.map { i in
            let id = (i == bytes.count - 1 ? finalByteIDs : byteIDs)[Int(bytes[i])]
            return Piece(id: id ?? unknownID, byteCount: 1)
        }
        while word.count > 1 {
            var best: (index: Int, rank: Int, id: Int)?
            for i in 0..<(word.count - 1) {
                if let merge = merges[Self.key(word[i].id, word[i + 1].id)], merge.rank < (best?.rank ?? .max) {
                    best = (i, merge.rank, merge.id)
                }
            }
            guard let best else { break }
            word[best.index] = Piece(id: best.id, byteCount: word[best.index].byteCount + word[best.index + 1].byteCount)
            word.remove(at: best.index + 1)
        }
        return word
    }
}
