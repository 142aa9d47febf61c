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

    /// The tokens of one pre-tokenized word, given as its UTF-8 bytes: repeatedly merges the adjacent pair
    /// with the lowest merge rank, leftmost first. A min-heap of (rank, position) over a linked list of
    /// symbols makes this O(n log n) in the word's length (tokenizers' `Word::merge_all`); a quadratic scan
    /// took seconds on one 10,000-letter word.
    func tokenize(_ bytes: [UInt8]) -> [Piece] {
        let n = bytes.count
        guard n > 0 else { return [] }
        var ids = bytes.indices.map { i in
            (i == n - 1 ? finalByteIDs : byteIDs)[Int(bytes[i])] ?? unknownID
        }
        guard n > 1 else { return [Piece(id: ids[0], byteCount: 1)] }
        var counts = [Int](repeating: 1, count: n)
        var next = Array(1...n)          // n: none
        var previous = Array(-1..<(n - 1)) // -1: none
        var alive = [Bool](repeating: true, count: n)
        var heap = MinHeap()
        func push(_ i: Int) {
            let j = next[i]
            guard j < n, let merge = merges[Self.key(ids[i], ids[j])] else { return }
            heap.push(UInt64(merge.rank) << 32 | UInt64(i))
        }
        for i in 0..<(n - 1) { push(i) }
        while let top = heap.pop() {
            let rank = Int(top >> 32)
            let i = Int(top & 0xFFFF_FFFF)
            let j = next[i]
            // Stale entries: the symbol was merged away, or the pair at i has changed since it was pushed.
            guard alive[i], j < n, let merge = merges[Self.key(ids[i], ids[j])], merge.rank == rank else { continue }
            ids[i] = merge.id
            counts[i] += counts[j]
            alive[j] = false
            next[i] = next[j]
            if next[j] < n { previous[next[j]] = i }
            if previous[i] >= 0 { push(previous[i]) }
            push(i)
        }
        var word: [Piece] = []
        var i = 0
        while i < n {
            word.append(Piece(id: ids[i], byteCount: counts[i]))
            i = next[i]
        }
        return word
    }
}

/// A binary min-heap of packed (rank, position) keys.
private struct MinHeap {
    private var items: [UInt64] = []

    mutating func push(_ value: UInt64) {
        items.append(value)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child] < items[parent] else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> UInt64? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        if !items.isEmpty {
            items[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                guard left < items.count else { break }
                var smallest = left
                if left + 1 < items.count, items[left + 1] < items[left] { smallest = left + 1 }
                guard items[smallest] < items[parent] else { break }
                items.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return first
    }
}
