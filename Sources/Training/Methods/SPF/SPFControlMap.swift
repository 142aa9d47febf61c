import Foundation
import Torch

/// The semantic-aware fine control map M in [0, 1]^(H x W) at latent resolution, per sample, without gradients
/// (docs/method.md, "The SFCM"):
///   ND = mean over channels of |eps_res - eps_ref| (or squared), min-max normalised per sample;
///   Ahat_p = the response path's map of base phrase p, each SFCM layer's map resized to H x W, averaged over
///            the layers, divided by its max;
///   M = clamp(ND - sum_p w_p Ahat_p, 0, 1), optionally Gaussian-blurred, divided by its max.
/// Small constants: 1e-8 guards every division (a constant map normalises to 0, an all-zero M stays 0, W = 1).
public struct SPFControlMap {
    public let settings: SPFSettings
    public static let epsilon = 1e-8

    public init(settings: SPFSettings) { self.settings = settings }

    /// responsePrediction, referencePrediction: [B, C, H, W]; phraseMaps: the SFCM layers' response maps of the
    /// base-phrase slots, each [B, P, h, w]; weights: [B, P] (0 for slots that do not enter the sum).
    /// Returns M [B, 1, H, W] in float32.
    public func callAsFunction(responsePrediction: Tensor, referencePrediction: Tensor, phraseMaps: [Tensor],
                               weights: Tensor) throws -> Tensor {
        try Tensor.withNoGrad {
            let difference = try responsePrediction.detach().to(.float32) - referencePrediction.detach().to(.float32)
            let perChannel = settings.nd == .abs ? try difference.abs() : try difference.square()
            var nd = try perChannel.mean(dims: [1], keepDim: true)  // [B, 1, H, W]
            if settings.ndNormalize {
                let low = try nd.amin(dims: [2, 3], keepDim: true)
                let high = try nd.amax(dims: [2, 3], keepDim: true)
                nd = try (nd - low) / (high - low + Self.epsilon)
            }
            let (height, width) = (nd.shape[2], nd.shape[3])
            guard let first = phraseMaps.first else { throw TrainingError("SFCM: no phrase maps (no SFCM layer)") }
            var sum = try resize(first.detach().to(.float32), height, width)
            for maps in phraseMaps.dropFirst() { sum = try sum + resize(maps.detach().to(.float32), height, width) }
            var phrases = try sum / Double(phraseMaps.count)  // [B, P, H, W]
            if settings.phraseMapNormalize == .max {
                phrases = try phrases / (phrases.amax(dims: [2, 3], keepDim: true) + Self.epsilon)
            }
            let batch = nd.shape[0], slots = phrases.shape[1]
            let pollution = try (phrases * weights.to(.float32).reshape([batch, slots, 1, 1])).sum(dims: [1], keepDim: true)
            var map = try (nd - pollution).clamp(min: 0, max: 1)
            if settings.blurSigma > 0 { map = try blur(map, sigma: settings.blurSigma) }
            if settings.sfcmRenormalize {
                map = try map / (map.amax(dims: [2, 3], keepDim: true) + Self.epsilon)
            }
            return map
        }
    }

    /// [B, G, h, w] -> [B, G, height, width] with the configured mode (bilinear: align_corners false).
    public func resize(_ maps: Tensor, _ height: Int, _ width: Int) throws -> Tensor {
        if maps.shape[2] == height, maps.shape[3] == width { return maps }
        switch settings.resize {
        case .bilinear: return try maps.interpolate(size: (height, width), mode: .bilinear, alignCorners: false)
        case .nearest: return try maps.interpolate(size: (height, width), mode: .nearest)
        }
    }

    /// The alignment weight W = 1 - M at a layer's resolution, [B, 1, h, w].
    public func alignmentWeight(_ map: Tensor, height: Int, width: Int) throws -> Tensor {
        try resize(1 - map, height, width)
    }

    /// Separable Gaussian blur (kernel 2 * ceil(2 sigma) + 1, normalised to sum 1, zero padding), as one
    /// 2-D convolution with the outer product of the 1-D kernel.
    func blur(_ map: Tensor, sigma: Double) throws -> Tensor {
        let radius = Int((2 * sigma).rounded(.up))
        let taps = (-radius...radius).map { exp(-Double($0 * $0) / (2 * sigma * sigma)) }
        let total = taps.reduce(0, +)
        let kernel1 = taps.map { $0 / total }
        var kernel: [Float] = []
        for a in kernel1 { for b in kernel1 { kernel.append(Float(a * b)) } }
        let size = 2 * radius + 1
        let weight = try Tensor(kernel, shape: [1, 1, size, size], device: map.device)
        return try map.conv2d(weight: weight, padding: (radius, radius))
    }
}
