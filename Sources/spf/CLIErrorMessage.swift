import ArgumentParser
import Foundation
import Torch

/// The one formatting of errors for the command line: what is wrong and where (path, key or row, and what is
/// expected), in one line. Errors of our own types already read that way; Foundation's and libtorch's are cut
/// down to their message (no NSCocoaErrorDomain dumps, no 55-line dispatcher traces).
enum CLIErrorMessage {
    /// ArgumentParser's own errors (usage, help, exit codes) pass through; everything else becomes one message.
    static func forCommandLine(_ error: any Error) -> any Error {
        switch error {
        case is ValidationError, is CleanExit, is ExitCode: return error
        // `--help` on a subcommand and other parser requests arrive from `run()` as the framework's internal
        // errors; wrapping them would print a dump where the help text belongs.
        case _ where String(reflecting: type(of: error)).hasPrefix("ArgumentParser."): return error
        default: return InputError(describe(error))
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as DecodingError:
            return describe(error)
        case let error as TorchError:
            return firstLines(error.message)
        case let error as CocoaError:
            return cocoa(error as NSError)
        default:
            let text = String(describing: error)
            // An NSError bridged from Foundation prints its domain and userInfo: keep the path and the reason.
            if text.contains("NSCocoaErrorDomain") || text.contains("Error Domain=") { return cocoa(error as NSError) }
            return firstLines(text)
        }
    }

    private static func cocoa(_ error: NSError) -> String {
        let path = (error.userInfo[NSFilePathErrorKey] as? String)
            ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
        let underlying = (error.userInfo[NSUnderlyingErrorKey] as? NSError).map { " (\($0.localizedDescription))" } ?? ""
        let reason = error.localizedDescription + underlying
        return path.map { "\($0): \(reason)" } ?? reason
    }

    private static func describe(_ error: DecodingError) -> String {
        func key(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "" : path.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: ".")) + ": "
        }
        switch error {
        case .typeMismatch(let type, let context): return key(context.codingPath) + "expected a value of type \(type)"
        case .valueNotFound(let type, let context): return key(context.codingPath) + "expected \(type), got null"
        case .keyNotFound(let missing, let context): return key(context.codingPath + [missing]) + "missing"
        case .dataCorrupted(let context): return key(context.codingPath) + context.debugDescription
        @unknown default: return "\(error)"
        }
    }

    /// libtorch's messages carry a C++ backtrace or a dispatcher table after the first lines: keep the message.
    static func firstLines(_ text: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var kept: [Substring] = []
        for line in lines {
            if line.hasPrefix("Exception raised from") || line.contains("registered at") || line.hasPrefix("frame #")
                || (kept.count >= 3) { break }
            if line.trimmingCharacters(in: .whitespaces).isEmpty { if kept.isEmpty { continue } else { break } }
            kept.append(line)
        }
        return kept.isEmpty ? text : kept.joined(separator: " ")
    }
}
