/// Bad input to a CLIP model or configuration, with what is wrong.
public enum CLIPError: Error, CustomStringConvertible, Equatable, Sendable {
    case unsupportedActivation(String)
    case invalidConfiguration(String)
    case invalidInput(String)

    public var description: String {
        switch self {
        case .unsupportedActivation(let name):
            "CLIP: unsupported hidden_act '\(name)' (supported: \(CLIPActivation.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .invalidConfiguration(let reason): "CLIP configuration: \(reason)"
        case .invalidInput(let reason): "CLIP input: \(reason)"
        }
    }
}
