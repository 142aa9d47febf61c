/// Bad configuration or input for the VAE, saying what is wrong.
public enum AutoencoderKLError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A down/up block type other than DownEncoderBlock2D / UpDecoderBlock2D.
    case unsupportedBlockType(String)
    case unsupportedActivation(String)
    case invalidConfiguration(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .unsupportedBlockType(let type):
            "AutoencoderKL: unsupported block type '\(type)' (supported: DownEncoderBlock2D, UpDecoderBlock2D)"
        case .unsupportedActivation(let name): "AutoencoderKL: unsupported act_fn '\(name)' (supported: silu)"
        case .invalidConfiguration(let reason): "AutoencoderKL configuration: \(reason)"
        case .invalidInput(let reason): "AutoencoderKL input: \(reason)"
        }
    }
}
