import ArgumentParser
import Foundation
import InputChecks

/// A prompt given inline or in a file. Files must be valid UTF-8: a bad byte is an error that names the
/// file and the byte offset, never a silently replaced character.
struct PromptInput: ParsableArguments {
    @Option(help: "The prompt.")
    var prompt: String?

    @Option(help: "Read the prompt from a UTF-8 text file instead (surrounding whitespace is trimmed).")
    var promptFile: String?

    func validate() throws {
        try Self.requireOne(prompt: prompt, file: promptFile, inline: "--prompt")
    }

    /// Exactly one of the two ways to give a prompt, with a message for each way to get it wrong.
    static func requireOne(prompt: String?, file: String?, inline: String) throws {
        if prompt == nil && file == nil { throw ValidationError("no prompt: give one with \(inline) or --prompt-file") }
        if prompt != nil && file != nil {
            throw ValidationError("give the prompt with \(inline) or with --prompt-file, not both")
        }
    }

    /// The largest prompt file read (CLIP keeps 77 tokens of it anyway).
    static let maxFileBytes = 16 << 20

    func text() throws -> String {
        if let prompt { return prompt }
        return try Self.readUTF8(promptFile!).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func readUTF8(_ path: String) throws -> String {
        // stat before open: a FIFO as --prompt-file fails at once instead of waiting for a writer.
        let bytes: [UInt8]
        do {
            bytes = try InputFile.read(path, maxBytes: maxFileBytes, kind: "a prompt file", allowEmpty: true)
        } catch let error as InputFileError {
            throw InputError(error.description)
        }
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        var text = ""
        loop: while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                text.unicodeScalars.append(scalar)
                offset += String(scalar).utf8.count
            case .emptyInput:
                break loop
            case .error:
                throw InputError("\(path): not valid UTF-8 (bad byte near offset \(offset))")
            }
        }
        return text
    }
}

/// A bad input file or value found while running (not a wrong flag): printed as "Error: ..." without usage.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
