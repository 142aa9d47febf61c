import Foundation

/// CLIP's byte-level BPE tokenizer, giving exactly the ids of transformers 5.24's `CLIPTokenizer`.
///
/// Pipeline (tokenization_clip.py on the `tokenizers` backend): special tokens are cut out first (see
/// `SpecialTokens`), the rest is normalized (NFC, whitespace runs to one space, lowercase), split into words
/// (`PreTokenizer`), each word's UTF-8 bytes are BPE-merged with the "</w>" end-of-word suffix, and the
/// sequence is wrapped in <|startoftext|> ... <|endoftext|>. Text that is empty or only whitespace gives just
/// [BOS, EOS].
///
/// BPE results are cached per word in the instance, so a tokenizer must be used from one thread at a time.
public final class CLIPTokenizer {
    public let bosTokenID: Int
    public let eosTokenID: Int
    public let padTokenID: Int
    public let unknownTokenID: Int
    public let specialTokens: SpecialTokens
    /// The limit from tokenizer_config.json, when the folder has one (77 for SD 1.5 and SD 2).
    public var modelMaxLength: Int? { specialTokens.modelMaxLength }

    let model: BPEModel
    private let rawAddedTokens: [AddedToken]
    private let normalizedAddedTokens: [AddedToken]
    private var cache: [[UInt8]: [BPEModel.Piece]] = [:]

    init(vocabulary: Vocabulary, specialTokens: SpecialTokens) throws {
        let vocabPath = vocabulary.path
        model = try BPEModel(
            vocab: vocabulary.vocab, merges: vocabulary.merges, unknownToken: specialTokens.unk.content,
            endOfWordSuffix: vocabulary.endOfWordSuffix,
            mergeError: { index, reason in
                let location = vocabulary.mergeLocation(index)
                return TokenizerError.badMergesLine(path: location.path, line: location.line, reason: reason)
            },
            vocabError: { TokenizerError.malformedFile(path: vocabPath, reason: $0) })
        func id(_ token: SpecialTokens.Token, _ role: String) throws -> Int {
            guard let id = vocabulary.vocab[token.content] else {
                throw TokenizerError.malformedFile(path: vocabPath, reason: "the \(role) token \(token.content) is not in the vocabulary")
            }
            return id
        }
        bosTokenID = try id(specialTokens.bos, "bos")
        eosTokenID = try id(specialTokens.eos, "eos")
        unknownTokenID = try id(specialTokens.unk, "unk")
        padTokenID = try id(specialTokens.pad, "pad")
        self.specialTokens = specialTokens
        var raw: [AddedToken] = []
        var normalized: [AddedToken] = []
        for token in specialTokens.addedTokens {
            let tokenID = try id(token, "special")
            if token.normalized {
                let pattern = Normalizer.normalize(token.content.unicodeScalars)
                if !pattern.isEmpty { normalized.append(AddedToken(id: tokenID, pattern: pattern, normalized: true)) }
            } else {
                raw.append(AddedToken(id: tokenID, pattern: Array(token.content.unicodeScalars), normalized: false))
            }
        }
        rawAddedTokens = raw
        normalizedAddedTokens = normalized
    }

    /// A diffusers `tokenizer/` folder: vocab.json + merges.txt (or else tokenizer.json), with the special
    /// tokens, pad token and model_max_length of tokenizer_config.json / special_tokens_map.json when present.
    public convenience init(directory: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw TokenizerError.fileNotFound(path: directory)
        }
        let file = { (name: String) in (directory as NSString).appendingPathComponent(name) }
        let specials = try SpecialTokens.read(directory: directory)
        if !FileManager.default.fileExists(atPath: file("vocab.json")),
           FileManager.default.fileExists(atPath: file("tokenizer.json")) {
            try self.init(tokenizerFile: file("tokenizer.json"), specialTokens: specials)
        } else {
            try self.init(vocabFile: file("vocab.json"), mergesFile: file("merges.txt"), specialTokens: specials)
        }
    }

    public convenience init(vocabFile: String, mergesFile: String, specialTokens: SpecialTokens = .clip) throws {
        try self.init(vocabulary: try Vocabulary.read(vocabFile: vocabFile, mergesFile: mergesFile), specialTokens: specialTokens)
    }

    /// A tokenizers `tokenizer.json`. As in transformers, only its vocabulary and merges are used: the CLIP
    /// pipeline and special tokens are CLIPTokenizer's own (or `specialTokens`).
    public convenience init(tokenizerFile: String, specialTokens: SpecialTokens = .clip) throws {
        try self.init(vocabulary: try Vocabulary.read(tokenizerFile: tokenizerFile), specialTokens: specialTokens)
    }

    /// open_clip's `bpe_simple_vocab_16e6.txt.gz` (the vocabulary of OpenAI CLIP, SD 1.5 and SD 2).
    /// `padToken` is "<|endoftext|>" for SD 1.5 and "!" for SD 2's tokenizer.
    public convenience init(openCLIPVocabulary path: String, padToken: String = "<|endoftext|>") throws {
        var specials = SpecialTokens.clip
        specials.pad = .init(padToken)
        specials.modelMaxLength = 77
        try self.init(vocabulary: try Vocabulary.read(openCLIPVocabulary: path), specialTokens: specials)
    }

    public var vocabularySize: Int { model.vocab.count }

    /// The largest id this tokenizer can produce (every id must index the text encoder's embeddings).
    public var largestID: Int { model.vocab.values.max() ?? 0 }

    public func id(of token: String) -> Int? { model.vocab[token] }

    public func token(of id: Int) -> String? { model.tokens[id] }

    /// The ids with BOS and EOS, neither truncated nor padded (`tokenizer(text).input_ids`).
    public func encode(_ text: String) -> [Int] {
        [bosTokenID] + contentTokens([(text.unicodeScalars[...], 0)]).map(\.id) + [eosTokenID]
    }

    /// `tokenizer(text, max_length=maxLength, truncation=True, padding="max_length").input_ids`: at most
    /// `maxLength - 2` text tokens between BOS and EOS (EOS stays last), then the pad id up to `maxLength` when
    /// `padding`. As in transformers, a `maxLength` below 2 leaves the sequence untruncated.
    public func callAsFunction(_ text: String, maxLength: Int = 77, padding: Bool = true) -> [Int] {
        wrap(contentTokens([(text.unicodeScalars[...], 0)], limit: Self.contentLimit(maxLength)).map(\.id),
             maxLength: maxLength, padding: padding)
    }

    /// The text tokens worth computing for `maxLength`: one more than are kept, so truncation is still seen.
    static func contentLimit(_ maxLength: Int) -> Int { maxLength >= 2 ? maxLength - 2 : .max }

    func wrap(_ content: [Int], maxLength: Int, padding: Bool) -> [Int] {
        let kept = maxLength >= 2 ? Array(content.prefix(maxLength - 2)) : content
        var ids = [bosTokenID] + kept + [eosTokenID]
        if padding && ids.count < maxLength {
            ids += Array(repeating: padTokenID, count: maxLength - ids.count)
        }
        return ids
    }

    // MARK: - Pipeline over tagged text

    /// A token and the tag of the text it came from (-1 when its text mixes tags).
    struct TaggedToken {
        var id: Int
        var tag: Int
    }

    private struct TaggedScalars {
        var scalars: [Unicode.Scalar] = []
        var tags: [Int] = []
    }

    private static func commonTag(_ tags: ArraySlice<Int>) -> Int {
        guard let first = tags.first else { return -1 }
        return tags.allSatisfy { $0 == first } ? first : -1
    }

    /// The text tokens (no BOS/EOS) of the concatenated segments, each tagged with its segment's tag. Tags only
    /// follow the text along; the ids are those of the whole text (normalizing segment by segment gives the same
    /// text as long as segments end at commas: nothing composes with or across a comma).
    ///
    /// Tokenizing stops once more than `limit` tokens exist: tokens depend only on their own word (and words
    /// never span added tokens), so the first `limit` are the same as the whole text's, and a prompt of a
    /// million characters costs no more BPE work than its first `limit` tokens need.
    func contentTokens(_ segments: [(text: Substring.UnicodeScalarView, tag: Int)], limit: Int = .max) -> [TaggedToken] {
        var raw = TaggedScalars()
        for segment in segments {
            raw.scalars.append(contentsOf: segment.text)
            raw.tags.append(contentsOf: repeatElement(segment.tag, count: segment.text.count))
        }
        var tokens: [TaggedToken] = []
        outer: for piece in split(raw.scalars[...], on: rawAddedTokens) {
            if tokens.count > limit { break }
            switch piece {
            case .token(let id, let range):
                tokens.append(TaggedToken(id: id, tag: Self.commonTag(raw.tags[range])))
            case .text(let range):
                let normalized = normalize(raw, range)
                for inner in split(normalized.scalars[...], on: normalizedAddedTokens) {
                    if tokens.count > limit { break outer }
                    switch inner {
                    case .token(let id, let range):
                        tokens.append(TaggedToken(id: id, tag: Self.commonTag(normalized.tags[range])))
                    case .text(let range):
                        bpe(normalized, range, into: &tokens, limit: limit)
                    }
                }
            }
        }
        return tokens
    }

    private enum Piece {
        case token(Int, Range<Int>)
        case text(Range<Int>)
    }

    /// Cuts added tokens out of `text`, leftmost match first and the longest at that position (tokenizers'
    /// leftmost-longest Aho-Corasick).
    private func split(_ text: ArraySlice<Unicode.Scalar>, on added: [AddedToken]) -> [Piece] {
        guard !added.isEmpty else { return text.isEmpty ? [] : [.text(text.indices)] }
        var pieces: [Piece] = []
        var textStart = text.startIndex
        var i = text.startIndex
        while i < text.endIndex {
            var best: AddedToken?
            for token in added where token.pattern.count > (best?.pattern.count ?? 0) && text[i...].starts(with: token.pattern) {
                best = token
            }
            if let best {
                if textStart < i { pieces.append(.text(textStart..<i)) }
                pieces.append(.token(best.id, i..<(i + best.pattern.count)))
                i += best.pattern.count
                textStart = i
            } else {
                i += 1
            }
        }
        if textStart < text.endIndex { pieces.append(.text(textStart..<text.endIndex)) }
        return pieces
    }

    /// Normalizes each run of equal tags on its own so that every output scalar keeps its tag.
    private func normalize(_ raw: TaggedScalars, _ range: Range<Int>) -> TaggedScalars {
        var out = TaggedScalars()
        var start = range.lowerBound
        while start < range.upperBound {
            let tag = raw.tags[start]
            var end = start + 1
            while end < range.upperBound && raw.tags[end] == tag { end += 1 }
            let normalized = Normalizer.normalize(raw.scalars[start..<end])
            out.scalars += normalized
            out.tags += repeatElement(tag, count: normalized.count)
            start = end
        }
        return out
    }

    private func bpe(_ text: TaggedScalars, _ range: Range<Int>, into tokens: inout [TaggedToken], limit: Int) {
        for word in PreTokenizer.words(text.scalars[range]) {
            if tokens.count > limit { return }
            var bytes: [UInt8] = []
            var tags: [Int] = []
            for i in word {
                let before = bytes.count
                UTF8.encode(text.scalars[i]) { bytes.append($0) }
                tags += repeatElement(text.tags[i], count: bytes.count - before)
            }
            let pieces: [BPEModel.Piece]
            if let cached = cache[bytes] {
                pieces = cached
            } else {
                pieces = model.tokenize(bytes)
                // Ordinary words only: a cache of every long run of punctuation would grow without bound.
                if bytes.count <= Self.maxCachedWordBytes, cache.count < Self.maxCacheEntries { cache[bytes] = pieces }
            }
            var offset = 0
            for piece in pieces {
                tokens.append(TaggedToken(id: piece.id, tag: Self.commonTag(tags[offset..<(offset + piece.byteCount)])))
                offset += piece.byteCount
            }
        }
    }

    static let maxCachedWordBytes = 64
    static let maxCacheEntries = 100_000
}
