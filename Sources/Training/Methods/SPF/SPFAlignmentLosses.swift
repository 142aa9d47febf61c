import Diffusion
import Torch

/// L_tc and L_fg (docs/method.md, "Losses"), weighted per position by W_l = 1 - M at each layer's resolution
/// (W = 1 everywhere without the SFCM). Reference captures carry no gradient.
public struct SPFAlignmentLosses {
    public let controlMap: SPFControlMap

    public init(controlMap: SPFControlMap) { self.controlMap = controlMap }

    /// L_tc = over the layers `names` and the slots with `mask` set (each (layer, sample, slot) counted once):
    /// mean of mean_hw W_l (A_res - A_ref)^2. 0 when no slot is set.
    public func textConsistency(response: AttentionCaptures, reference: AttentionCaptures, names: [String],
                                map: Tensor?, mask: Tensor) throws -> Tensor {
        let valid = try mask.to(.float32)  // [B, G]
        let count = try valid.sum().item() * Double(names.count)
        var total: Tensor?
        for name in names {
            guard let res = response[name]?.maps, let ref = reference[name]?.maps else {
                throw TrainingError("SPF: layer \(name) has no captured maps")
            }
            var squared = try (res - ref.detach()).square()  // [B, G, h, w]
            if let map {
                squared = try squared * controlMap.alignmentWeight(map, height: res.shape[2], width: res.shape[3])
            }
            let term = try (squared.mean(dims: [2, 3]) * valid).sum()
            total = try total.map { try $0 + term } ?? term
        }
        guard let total, count > 0 else { return try Tensor.zeros([], dtype: .float32, device: mask.device) }
        return try total / count
    }

    /// L_fg = mean over the layers `names` of mean over samples and positions of W_l ||Q_res - Q_ref||^2 / C.
    public func fineGrained(response: AttentionCaptures, reference: AttentionCaptures, names: [String],
                            map: Tensor?) throws -> Tensor {
        var total: Tensor?
        for name in names {
            guard let res = response[name], let ref = reference[name], let q = res.queries, let q0 = ref.queries else {
                throw TrainingError("SPF: layer \(name) has no captured queries")
            }
            var perPosition = try (q.to(.float32) - q0.detach().to(.float32)).square().mean(dims: [2])  // [B, N]
            if let map, let maps = res.maps {
                let (h, w) = (maps.shape[2], maps.shape[3])
                let weight = try controlMap.alignmentWeight(map, height: h, width: w).reshape([perPosition.shape[0], h * w])
                perPosition = try perPosition * weight
            } else if map != nil {
                throw TrainingError("SPF: layer \(name) captured no maps to size the alignment weight")
            }
            let term = try perPosition.mean()
            total = try total.map { try $0 + term } ?? term
        }
        guard let total else { throw TrainingError("SPF: L_fg has no layer") }
        return try total / Double(names.count)
    }
}
