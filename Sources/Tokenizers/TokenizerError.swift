/// Why a tokenizer could not be loaded: every case names the file (and the line for merges).
public enum TokenizerError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadableFile(path: String, reason: String)
    case malformedFile(path: String, reason: String)
    case badMergesLine(path: String, line: Int, reason: String)

    public var path: String {
        switch self {
        case .fileNotFound(let path), .unreadableFile(let path, _), .malformedFile(let path, _),
             .badMergesLine(let path, _, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .fileNotFound(let path): return "tokenizer file not found: \(path)"
        case .unreadableFile(let path, let reason): return "cannot read tokenizer file \(path): \(reason)"
        case .malformedFile(let path, let reason): return "malformed tokenizer file \(path): \(reason)"
        case .badMergesLine(let path, let line, let reason): return "bad merges in \(path) line \(line): \(reason)"
        }
    }
}
