import ArgumentParser
import Foundation
import Tokenizers

/// `spf tokenize`: the ids CLIP sees for a prompt and where each comma-separated phrase sits.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print a prompt's CLIP token ids and the token span of each comma-separated phrase.",
        discussion: """
            The spans are what the SPF losses use to select attention maps per phrase; the pad group is \
            the end token and all padding after it.
            """
    )

    @Option(help: "A diffusers model folder (its tokenizer/ subfolder is used) or a tokenizer folder.")
    var model: String?

    @Option(help: "open_clip's bpe_simple_vocab_16e6.txt.gz instead of a model folder.")
    var vocabulary: String?

    @Option(help: "Pad/truncate to this many tokens (2 to \(Self.maxLengthLimit)).")
    var maxLength = 77

    /// The longest sequence printed: far beyond any CLIP model (77), small enough to allocate.
    static let maxLengthLimit = 65536

    @Argument(help: "The prompt (or use --prompt-file).")
    var prompt: String?

    @Option(help: "Read the prompt from a UTF-8 text file instead.")
    var promptFile: String?

    func validate() throws {
        guard (model == nil) != (vocabulary == nil) else {
            throw ValidationError("give exactly one of --model or --vocabulary")
        }
        guard (2...Self.maxLengthLimit).contains(maxLength) else {
            throw ValidationError("--max-length must be between 2 and \(Self.maxLengthLimit), got \(maxLength)")
        }
        try PromptInput.requireOne(prompt: prompt, file: promptFile, inline: "an argument")
    }

    func run() throws {
        let tokenizer: CLIPTokenizer
        if let vocabulary {
            tokenizer = try CLIPTokenizer(openCLIPVocabulary: vocabulary)
        } else {
            let folder = URL(fileURLWithPath: model!)
            let sub = folder.appendingPathComponent("tokenizer")
            var isDirectory: ObjCBool = false
            let useSub = FileManager.default.fileExists(atPath: sub.path, isDirectory: &isDirectory) && isDirectory.boolValue
            tokenizer = try CLIPTokenizer(directory: useSub ? sub.path : folder.path)
        }
        let text = try prompt ?? PromptInput.readUTF8(promptFile!).trimmingCharacters(in: .whitespacesAndNewlines)
        let tokenized = tokenizer.encodeWithPhrases(text, maxLength: maxLength)
        print("ids: \(tokenized.ids.map(String.init).joined(separator: " "))")
        let tokens = tokenized.ids.prefix(tokenized.eosIndex + 1).map { tokenizer.token(of: $0) ?? "?" }
        print("tokens: \(tokens.joined(separator: " "))")
        for phrase in tokenized.phrases {
            let words = tokenized.ids[phrase.range].map { tokenizer.token(of: $0) ?? "?" }.joined(separator: " ")
            print("phrase \"\(phrase.text)\": tokens \(phrase.range.lowerBound)..<\(phrase.range.upperBound) [\(words)]"
                + (phrase.isClipped ? " (clipped by truncation)" : ""))
        }
        for dropped in tokenized.droppedPhrases { print("phrase \"\(dropped)\": dropped (past the \(maxLength)-token limit)") }
        print("pad group: \(tokenized.padGroup.lowerBound)..<\(tokenized.padGroup.upperBound)"
            + (tokenized.isTruncated ? " (prompt truncated)" : ""))
    }
}
