/// A UNet configuration or call the model cannot honour; the message names the key or argument at fault.
public struct UNetError: Error, CustomStringConvertible, Sendable {
    public let description: String

    public init(_ description: String) { self.description = description }

    /// A config.json key whose value this implementation does not support.
    static func unsupported(_ key: String, _ value: String) -> UNetError {
        UNetError("unet config: unsupported \(key) = \(value)")
    }
}
