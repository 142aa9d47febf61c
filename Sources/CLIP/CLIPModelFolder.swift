import Foundation
import NN
import SafeTensors
import Torch

extension CLIPModel {
    /// A transformers CLIPModel folder's weights: config.json and model.safetensors (a `position_ids` buffer of
    /// older transformers is dropped). The tokenizer files of the folder are read by `CLIPTokenizer(directory:)`.
    public static func load(folder: String, device: Device = .cpu) throws -> CLIPModel {
        let file = { (folder as NSString).appendingPathComponent($0) }
        let config = try CLIPConfig.load(contentsOf: URL(fileURLWithPath: file("config.json")))
        let clip = try CLIPModel(config, factory: ParameterFactory(dtype: .float32, device: device, generator: nil))
        let weights = try SafeTensors.load(file("model.safetensors"), device: device).filter { !$0.key.hasSuffix("position_ids") }
        try clip.load(weights, source: file("model.safetensors"))
        try clip.setRequiresGrad(false)
        return clip
    }
}
