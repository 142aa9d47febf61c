/// A metrics file that cannot be written or read back. It always names the file, and for a malformed
/// file the byte offset where reading failed, so a corrupt log can be found and inspected by hand.
public struct RunLogsError: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// Where in the file the problem is (reading only).
    public let offset: Int?
    public let reason: String

    public init(path: String, offset: Int? = nil, _ reason: String) {
        self.path = path
        self.offset = offset
        self.reason = reason
    }

    public var description: String {
        if let offset { return "\(path): at byte \(offset): \(reason)" }
        return "\(path): \(reason)"
    }
}
