import Torch

/// An 8-bit RGB image, rows top to bottom, pixels interleaved (R, G, B).
public struct RGBImage: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) throws {
        guard width > 0, height > 0 else { throw ImageError(path: nil, "image size \(width)x\(height) is empty") }
        guard pixels.count == width * height * 3 else {
            throw ImageError(path: nil, "\(width)x\(height) RGB needs \(width * height * 3) bytes, got \(pixels.count)")
        }
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// From a [3, H, W] tensor with values in [-1, 1] (the VAE's range), as diffusers' image processor
    /// does: (x / 2 + 0.5) clamped to [0, 1], times 255, rounded half to even.
    public init(tensor: Tensor) throws {
        guard tensor.ndim == 3, tensor.shape[0] == 3 else {
            throw ImageError(path: nil, "expected a [3, H, W] tensor, got shape \(tensor.shape)")
        }
        let bytes = try Tensor.withNoGrad {
            try ((tensor.to(.float32) / 2 + 0.5).clamp(min: 0, max: 1) * 255).round().to(.uint8).permute([1, 2, 0])
                .contiguous().toArray(UInt8.self)
        }
        try self.init(width: tensor.shape[2], height: tensor.shape[1], pixels: bytes)
    }

    /// A [3, H, W] float32 tensor in [-1, 1].
    public func tensor(device: Device = .cpu) throws -> Tensor {
        try (Tensor(pixels, shape: [height, width, 3], device: device).to(.float32).permute([2, 0, 1]) / 127.5 - 1)
            .contiguous()
    }
}

/// An image file that cannot be read or written: names the file.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let path: String?
    public let reason: String
    public init(path: String?, _ reason: String) {
        self.path = path
        self.reason = reason
    }
    public var description: String { path.map { "\($0): \(reason)" } ?? reason }
}
