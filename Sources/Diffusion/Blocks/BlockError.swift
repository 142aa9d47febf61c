/// Bad shapes or settings given to a shared diffusion block, naming the block and what is wrong.
public struct BlockError: Error, CustomStringConvertible, Equatable, Sendable {
    public let block: String
    public let reason: String

    public init(_ block: String, _ reason: String) {
        self.block = block
        self.reason = reason
    }

    public var description: String { "\(block): \(reason)" }
}
