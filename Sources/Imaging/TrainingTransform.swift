import Torch

/// The image preprocessing of diffusers' examples/text_to_image/train_text_to_image.py:
/// `Resize(resolution, BILINEAR)` (shorter side, PIL's antialiased bilinear on the 8-bit image), then
/// `CenterCrop(resolution)` or `RandomCrop(resolution)`, optionally `RandomHorizontalFlip()`, `ToTensor()`,
/// `Normalize([0.5], [0.5])`, giving a float32 [3, resolution, resolution] tensor in [-1, 1].
/// Random draws come from an explicit generator, in torchvision's order and with its calls (crop row, crop
/// column, then flip), so that a run resumed with a saved generator state augments exactly as before.
public struct TrainingTransform: Codable, Sendable, Equatable {
    public enum Crop: String, Codable, Sendable {
        case center, random
    }

    /// Side of the square output, in pixels (512 for SD 1.5).
    public var resolution: Int
    public var crop: Crop
    /// Mirror left-right with probability 1/2.
    public var flip: Bool

    public init(resolution: Int = 512, crop: Crop = .center, flip: Bool = false) {
        self.resolution = resolution
        self.crop = crop
        self.flip = flip
    }

    /// What the random draws decided for one image.
    public struct Placement: Equatable, Sendable {
        /// Top-left corner of the crop in the resized image.
        public var top: Int
        public var left: Int
        public var flipped: Bool

        public init(top: Int, left: Int, flipped: Bool) {
            self.top = top
            self.left = left
            self.flipped = flipped
        }
    }

    /// Whether this configuration draws random numbers (and so needs a generator).
    public var isRandom: Bool { crop == .random || flip }

    /// The tensor for `image`, drawing from `generator` where the configuration is random.
    public func callAsFunction(_ image: RGBImage, generator: Generator? = nil) throws -> Tensor {
        try apply(image, generator: generator).tensor
    }

    public func apply(_ image: RGBImage, generator: Generator? = nil) throws -> (tensor: Tensor, placement: Placement) {
        let (resized, placement) = try transformedImage(image, generator: generator)
        return (try resized.normalizedTensor(), placement)
    }

    /// The 8-bit image after resize, crop and flip (before ToTensor), and where it came from.
    public func transformedImage(_ image: RGBImage, generator: Generator? = nil) throws -> (image: RGBImage, placement: Placement) {
        guard resolution > 0 else { throw ImageError(path: nil, "training resolution must be positive, got \(resolution)") }
        if isRandom && generator == nil {
            throw ImageError(path: nil, "a random crop or flip needs a generator (for exact resumption)")
        }
        let size = RGBImage.shorterSideSize(width: image.width, height: image.height, to: resolution)
        let resized = try image.resized(width: size.width, height: size.height, filter: .bilinear)
        let (top, left) = try cropOrigin(width: resized.width, height: resized.height, generator: generator)
        var result = try resized.cropped(left: left, top: top, width: resolution, height: resolution)
        var flipped = false
        if flip, let generator {
            // RandomHorizontalFlip: `if torch.rand(1) < self.p`, p = 0.5.
            flipped = try Tensor.rand([1], device: generator.device, generator: generator).item() < 0.5
            if flipped { result = result.flippedHorizontally() }
        }
        return (result, Placement(top: top, left: left, flipped: flipped))
    }

    private func cropOrigin(width: Int, height: Int, generator: Generator?) throws -> (top: Int, left: Int) {
        switch crop {
        case .center:
            // torchvision's center_crop: int(round((size - crop) / 2.0)), Python rounding half to even.
            let top = (Double(height - resolution) / 2).rounded(.toNearestOrEven)
            let left = (Double(width - resolution) / 2).rounded(.toNearestOrEven)
            return (Int(top), Int(left))
        case .random:
            // RandomCrop.get_params: no draw at all when the image already has the crop's size; otherwise
            // torch.randint(0, h - th + 1, size=(1,)) for the row, then the same for the column.
            guard width != resolution || height != resolution, let generator else { return (0, 0) }
            let top = try Tensor.randint(low: 0, high: height - resolution + 1, [1], device: generator.device,
                                         generator: generator).itemInt()
            let left = try Tensor.randint(low: 0, high: width - resolution + 1, [1], device: generator.device,
                                          generator: generator).itemInt()
            return (top, left)
        }
    }
}
