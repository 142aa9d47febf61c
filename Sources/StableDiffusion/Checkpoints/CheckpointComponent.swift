/// The parts of a Stable Diffusion checkpoint that carry weights, named like their diffusers subfolders.
public enum CheckpointComponent: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
    case unet
    case vae
    case textEncoder = "text_encoder"

    public var description: String { rawValue }

    /// The library that writes this component's weights in a diffusers folder: it fixes the file name.
    public var library: WeightsLibrary { self == .textEncoder ? .transformers : .diffusers }
}

/// Who wrote a model folder: diffusers names weights `diffusion_pytorch_model.*`, transformers `model.*`.
public enum WeightsLibrary: String, CaseIterable, Sendable {
    case diffusers
    case transformers

    /// The weights file name without `.safetensors`.
    public var weightsBaseName: String { self == .diffusers ? "diffusion_pytorch_model" : "model" }
}
