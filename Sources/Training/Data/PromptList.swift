import Foundation
import InputChecks

/// Portrait prompts without images, for comparisons and evaluation: a file of lines that are either JSON
/// objects with metadata.jsonl's caption fields (`base`, `target`, `mode`, `replaces`) or plain base texts
/// that take the target given separately. Every bad line is reported with its number.
public enum PromptList {
    static let consequence = "nothing was rendered"

    public static func read(_ path: String, target: String?, replaces: String?) throws -> [PortraitCaption] {
        let data: Data
        do {
            data = try InputFile.data(path, maxBytes: 64 << 20, kind: "a prompts file")
        } catch let error as InputFileError {
            throw DatasetError(file: path, problems: [(nil, error.reason)], consequence: consequence)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError(file: path, problems: [(nil, "not valid UTF-8")], consequence: consequence)
        }
        var captions: [PortraitCaption] = []
        var problems: [(line: Int?, message: String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                if line.hasPrefix("{") {
                    // The dataset row parser, with a placeholder file name: one rule for both files.
                    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
                    var row = object
                    row["file_name"] = row["file_name"] ?? "-"
                    let json = String(data: try JSONSerialization.data(withJSONObject: row), encoding: .utf8)!
                    guard let caption = try MetadataFile.parse(json, number: index + 1).portrait else {
                        throw DatasetRowError("needs \"base\" and \"target\"")
                    }
                    captions.append(caption)
                } else {
                    guard let target else { throw DatasetRowError("a plain base text needs --target") }
                    captions.append(try PortraitCaption(base: line, target: target, mode: replaces == nil ? .add : .replace,
                                                        replaces: replaces))
                }
            } catch let error as DatasetRowError {
                problems.append((index + 1, error.description))
            } catch {
                problems.append((index + 1, "invalid JSON"))
            }
        }
        if captions.isEmpty && problems.isEmpty { problems.append((nil, "has no prompts")) }
        guard problems.isEmpty else { throw DatasetError(file: path, problems: problems, consequence: consequence) }
        return captions
    }
}
