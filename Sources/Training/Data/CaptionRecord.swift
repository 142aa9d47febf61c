import Foundation
import Tokenizers

/// One training example as `metadata.jsonl` describes it: the image file and the text the model is trained
/// on. Portrait-customization rows also carry the SPF split of that text into base and target.
public struct CaptionRecord: Equatable, Sendable {
    /// 1-based line of metadata.jsonl (for messages).
    public let line: Int
    /// Relative to the dataset folder (Hugging Face imagefolder's `file_name`).
    public let fileName: String
    /// The full text the model is trained on.
    public let text: String
    public let portrait: PortraitCaption?

    public init(line: Int, fileName: String, text: String, portrait: PortraitCaption?) {
        self.line = line
        self.fileName = fileName
        self.text = text
        self.portrait = portrait
    }
}

/// Base text plus target text (SPF-Portrait's caption split). `add` appends the target as a new phrase;
/// `replace` swaps the base phrase `replaces` for it ("in a blue t-shirt" -> "in a red dress").
public struct PortraitCaption: Equatable, Sendable {
    public enum Mode: String, Sendable, CaseIterable {
        case add, replace
    }

    public let base: String
    public let target: String
    public let mode: Mode
    public let replaces: String?

    /// Validates the split (a `replace` names one of the base's phrases) and builds it.
    public init(base: String, target: String, mode: Mode, replaces: String?) throws {
        let phrases = CLIPTokenizer.phrases(in: base)
        switch mode {
        case .add:
            if replaces != nil { throw DatasetRowError("`replaces` is only for mode \"replace\"") }
        case .replace:
            guard let replaces, !replaces.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw DatasetRowError("mode \"replace\" needs `replaces`: the base phrase the target replaces")
            }
            let wanted = replaces.trimmingCharacters(in: .whitespaces)
            guard phrases.contains(wanted) else {
                throw DatasetRowError("`replaces` phrase \"\(wanted)\" is not one of the base's phrases "
                                      + phrases.map { "\"\($0)\"" }.joined(separator: ", "))
            }
        }
        self.base = base.trimmingCharacters(in: .whitespaces)
        self.target = target.trimmingCharacters(in: .whitespaces)
        self.mode = mode
        self.replaces = replaces?.trimmingCharacters(in: .whitespaces)
    }

    /// The text the customized model is trained on: `base + ", " + target`, or the base with the replaced
    /// phrase swapped for the target (phrases re-joined with ", ").
    public var fullText: String {
        switch mode {
        case .add:
            return base + ", " + target
        case .replace:
            return CLIPTokenizer.phrases(in: base).map { $0 == replaces ? target : $0 }.joined(separator: ", ")
        }
    }
}

/// A problem with one metadata row (wrapped with its line number by `DatasetError`).
public struct DatasetRowError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Every bad row of a dataset, each with its line number, so that a user fixes them all in one pass.
public struct DatasetError: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let problems: [(line: Int?, message: String)]
    /// What did not happen because of them ("nothing was trained").
    public let consequence: String

    public init(file: String, problems: [(line: Int?, message: String)], consequence: String = "nothing was trained") {
        self.file = file
        self.problems = problems
        self.consequence = consequence
    }

    public var description: String {
        let shown = problems.prefix(50).map { problem in
            problem.line.map { "  line \($0): \(problem.message)" } ?? "  \(problem.message)"
        }
        let more = problems.count > 50 ? ["  ... and \(problems.count - 50) more"] : []
        return "\(file): \(problems.count) problem\(problems.count == 1 ? "" : "s"); \(consequence):\n"
            + (shown + more).joined(separator: "\n")
    }
}
