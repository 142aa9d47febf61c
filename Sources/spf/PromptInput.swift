import ArgumentParser
import Foundation

/// A prompt given inline or in a file. Files must be valid UTF-8: a bad byte is an error that names the
/// file and the byte offset, never a silently replaced character.
struct PromptInput: ParsableArguments {
    @Option(help: "The prompt.")
    var prompt: String?

    @Option(help: "Read the prompt from a UTF-8 text file instead (surrounding whitespace is trimmed).")
    var promptFile: String?

    func validate() throws {
        guard (prompt == nil) != (promptFile == nil) else {
            throw ValidationError("give exactly one of --prompt or --prompt-file")
        }
    }

    func text() throws -> String {
        if let prompt { return prompt }
        return try Self.readUTF8(promptFile!).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func readUTF8(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError("\(path): cannot read the file")
        }
        let bytes = [UInt8](data)
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
