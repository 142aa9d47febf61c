import Foundation
import Torch

/// What the SFCM and the target phrase's attention look like on given images: one stage-2 forward of both paths,
/// without gradients, on the images noised to one timestep. For people, not for the loss: validation grids,
/// `spf compare --run` and the demo's report draw these.
public struct SPFMaps {
    /// Per image: M, [height * width] in [0, 1] at the latent resolution.
    public var controlMaps: [[Float]]
    /// Per image: the target phrase's attention, mean over the SFCM layers, scaled so its maximum is 1.
    public var targetAttention: [[Float]]
    public var height: Int
    public var width: Int
}

extension SPFMethod {
    /// The maps of `pixels` ([B, 3, H, W] in [-1, 1]) with the captions of `records`, noised to `timestep` with
    /// noise drawn from `seed`, under the current weights (response path) and the original model (reference).
    public func maps(records: [CaptionRecord], pixels: Tensor, timestep: Int, seed: UInt64) throws -> SPFMaps {
        guard settings.sfcm else { throw TrainingError("spf.sfcm = false: there is no control map to show") }
        return try Tensor.withNoGrad {
            var embeddings: [String: Tensor] = [:]
            for text in Set(records.flatMap(texts(for:))) {
                let ids = models.tokenIDs(text)
                embeddings[text] = try models.textEncoder(Tensor(ids.map(Int64.init), shape: [1, ids.count])).lastHiddenState
                    .squeeze(dim: 0)
            }
            let posterior = try models.vae.encode(pixels)
            let batch = TrainingBatch(records: records, latentParameters: posterior.parameters, embeddings: embeddings,
                                      step: config.spf.stage1Steps)
            let latents = try posterior.mean * objective.scalingFactor
            let draw = try objective.draw(latents: latents, noise: latents.randnLike(generator: Generator(seed: seed)),
                                          timesteps: Tensor([Int64](repeating: Int64(timestep), count: records.count),
                                                            shape: [records.count]))
            let stage2 = try stage2(batch, draw: draw)
            guard let map = stage2.controlMap else { throw TrainingError("SPF: no control map was computed") }
            let (h, w) = (map.shape[2], map.shape[3])
            var attention: Tensor?
            for name in sfcmLayerNames {
                guard let maps = stage2.response.captures[name]?.maps else { continue }
                var target = try maps.narrow(dim: 1, start: stage2.layout.targetSlot, length: 1)
                if target.shape[2] != h { target = try target.interpolate(size: (h, w), mode: .bilinear) }
                attention = try attention.map { try $0 + target } ?? target
            }
            guard let attention else { throw TrainingError("SPF: no target attention was captured") }
            var result = SPFMaps(controlMaps: [], targetAttention: [], height: h, width: w)
            for i in 0..<records.count {
                result.controlMaps.append(try map.select(dim: 0, index: i).reshape([-1]).to(.float32).to(.cpu).toArray(Float.self))
                var a = try attention.select(dim: 0, index: i).reshape([-1]).to(.float32).to(.cpu).toArray(Float.self)
                if let top = a.max(), top > 0 { a = a.map { $0 / top } }
                result.targetAttention.append(a)
            }
            return result
        }
    }
}
