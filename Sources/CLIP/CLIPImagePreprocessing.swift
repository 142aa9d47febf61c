import Torch

/// CLIP's image preprocessing as differentiable tensor ops: resize the shortest side to `imageSize`
/// (bicubic), center crop `imageSize` x `imageSize`, normalize with OpenAI CLIP's mean and std.
///
/// transformers' CLIPImageProcessor resizes uint8 images with PIL's bicubic filter and rounds back to
/// uint8; here the resize is torch's bicubic with antialias (PIL-like filter support) on float pixels, without
/// rounding or clipping, so that gradients flow (CLIP loss on generated images). On the fixture image
/// (40x48 -> 32) the two differ by at most 0.0038 (mean 0.0012) in [0, 1] pixel units
/// (Tests/CLIPTests/Fixtures/measurements.json). For exact parity with transformers feed the processor's
/// pixel_values to the model directly.
public struct CLIPImagePreprocessing: Sendable {
    public static let openAIMean: [Double] = [0.48145466, 0.4578275, 0.40821073]
    public static let openAIStd: [Double] = [0.26862954, 0.26130258, 0.27577711]

    public var imageSize: Int
    public var mean: [Double]
    public var std: [Double]

    public init(imageSize: Int = 224, mean: [Double] = Self.openAIMean, std: [Double] = Self.openAIStd) {
        self.imageSize = imageSize
        self.mean = mean
        self.std = std
    }

    /// For a vision tower: its image_size.
    public init(_ config: CLIPVisionConfig) { self.init(imageSize: config.imageSize) }

    /// The resized size (height, width) for an input of (height, width): shortest side to `imageSize`, the
    /// other int(imageSize * long / short), as transformers' get_resize_output_image_size.
    public func resizedSize(height: Int, width: Int) -> (Int, Int) {
        if height <= width {
            return (imageSize, Int(Double(imageSize * width) / Double(height)))
        }
        return (Int(Double(imageSize * height) / Double(width)), imageSize)
    }

    /// images: float [B, C, H, W] with values in [0, 1] (e.g. a decoded VAE image mapped from [-1, 1]).
    /// Returns pixel values [B, C, imageSize, imageSize] for the vision tower.
    public func callAsFunction(_ images: Tensor) throws -> Tensor {
        guard images.ndim == 4, images.dtype.isFloatingPoint else {
            throw CLIPError.invalidInput("images must be a float [batch, channels, height, width] tensor, got \(images.dtype) \(images.shape)")
        }
        let channels = images.shape[1]
        guard channels == mean.count, channels == std.count else {
            throw CLIPError.invalidInput("images have \(channels) channels; mean/std have \(mean.count)/\(std.count)")
        }
        let (height, width) = (images.shape[2], images.shape[3])
        guard height > 0, width > 0 else { throw CLIPError.invalidInput("empty image \(images.shape)") }
        let (newHeight, newWidth) = resizedSize(height: height, width: width)
        var x = images
        if (newHeight, newWidth) != (height, width) {
            x = try x.interpolate(size: (newHeight, newWidth), mode: .bicubic, alignCorners: false, antialias: true)
        }
        x = try centerCrop(x, height: newHeight, width: newWidth)
        let m = try Tensor(mean.map { Float($0) }, shape: [1, channels, 1, 1], device: x.device).to(x.dtype)
        let s = try Tensor(std.map { Float($0) }, shape: [1, channels, 1, 1], device: x.device).to(x.dtype)
        return try (x - m) / s
    }

    /// uint8 pixels [H, W, C] or [B, H, W, C] (as images are stored) to float [B, C, H, W] in [0, 1].
    public static func unitPixels(fromUInt8 pixels: Tensor) throws -> Tensor {
        let batched = pixels.ndim == 3 ? try pixels.unsqueeze(dim: 0) : pixels
        guard batched.ndim == 4, pixels.dtype == .uint8 else {
            throw CLIPError.invalidInput("expected uint8 [height, width, channels] pixels, got \(pixels.dtype) \(pixels.shape)")
        }
        return try batched.permute([0, 3, 1, 2]).to(.float32) / 255
    }

    /// transformers' center_crop: top = (h - crop) // 2, left = (w - crop) // 2 (the resize never leaves a side
    /// shorter than the crop).
    private func centerCrop(_ x: Tensor, height: Int, width: Int) throws -> Tensor {
        let top = (height - imageSize) / 2
        let left = (width - imageSize) / 2
        return try x.narrow(dim: 2, start: top, length: imageSize).narrow(dim: 3, start: left, length: imageSize)
    }
}
