import Foundation
import InputChecks

/// Reads a dataset's `metadata.jsonl` (Hugging Face imagefolder's layout: one JSON object per line with
/// `file_name` and `text`, or SPF-Portrait's `base`, `target`, `mode`, `replaces`). Every line is checked and
/// every bad one reported together with its line number; blank lines are allowed.
public enum MetadataFile {
    public static let name = "metadata.jsonl"

    public static func read(dataset directory: String) throws -> [CaptionRecord] {
        let path = (directory as NSString).appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError(file: directory, problems: [(nil, "not a dataset folder (it must hold \(name) and the images)")])
        }
        let data: Data
        do {
            data = try InputFile.data(path, maxBytes: 1 << 30, kind: "a metadata file")
        } catch let error as InputFileError {
            throw DatasetError(file: path, problems: [(nil, error.reason)])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError(file: path, problems: [(nil, "not valid UTF-8")])
        }
        var records: [CaptionRecord] = []
        var problems: [(line: Int?, message: String)] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            do {
                records.append(try parse(line, number: index + 1))
            } catch let error as DatasetRowError {
                problems.append((index + 1, error.description))
            }
        }
        if records.isEmpty && problems.isEmpty { problems.append((nil, "has no rows")) }
        guard problems.isEmpty else { throw DatasetError(file: path, problems: problems) }
        return records
    }

    static let knownKeys: Set<String> = ["file_name", "text", "base", "target", "mode", "replaces"]

    /// One row. Unknown keys are an error (a misspelt `replace` would otherwise silently train `add`).
    static func parse(_ line: String, number: Int) throws -> CaptionRecord {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                throw DatasetRowError("not a JSON object")
            }
            object = parsed
        } catch let error as DatasetRowError {
            throw error
        } catch {
            throw DatasetRowError("invalid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error))")
        }
        if let unknown = object.keys.sorted().first(where: { !knownKeys.contains($0) }) {
            throw DatasetRowError("unknown field \"\(unknown)\" (fields: \(knownKeys.sorted().joined(separator: ", ")))")
        }
        func string(_ key: String, required: Bool) throws -> String? {
            guard let value = object[key], !(value is NSNull) else {
                if required { throw DatasetRowError("missing \"\(key)\"") }
                return nil
            }
            guard let text = value as? String else { throw DatasetRowError("\"\(key)\" must be a string") }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw DatasetRowError("\"\(key)\" is empty")
            }
            return text
        }
        let fileName = try string("file_name", required: true)!
        if fileName.hasPrefix("/") || fileName.split(separator: "/").contains("..") {
            throw DatasetRowError("\"file_name\" must be a path inside the dataset folder, got \"\(fileName)\"")
        }
        let text = try string("text", required: false)
        let base = try string("base", required: false)
        let target = try string("target", required: false)
        let modeText = try string("mode", required: false)
        let replaces = try string("replaces", required: false)

        guard base != nil || target != nil || modeText != nil || replaces != nil else {
            guard let text else { throw DatasetRowError("missing \"text\" (or \"base\" and \"target\")") }
            return CaptionRecord(line: number, fileName: fileName, text: text, portrait: nil)
        }
        guard let base else { throw DatasetRowError("missing \"base\"") }
        guard let target else { throw DatasetRowError("missing \"target\"") }
        let mode: PortraitCaption.Mode
        if let modeText {
            guard let parsed = PortraitCaption.Mode(rawValue: modeText) else {
                throw DatasetRowError("unknown mode \"\(modeText)\" (add or replace)")
            }
            mode = parsed
        } else {
            mode = .add
        }
        let portrait = try PortraitCaption(base: base, target: target, mode: mode, replaces: replaces)
        if let text, text != portrait.fullText {
            throw DatasetRowError("\"text\" (\"\(text)\") differs from the text base and target make "
                                  + "(\"\(portrait.fullText)\"); give one or the other")
        }
        return CaptionRecord(line: number, fileName: fileName, text: portrait.fullText, portrait: portrait)
    }
}
