import PortraitWorld
import Torch

/// Which of a render's targets are still visible in an image made from it (the VAE's reconstruction): the
/// ground truth a probe's target heads can be taught on blurred images. A reconstruction keeps the render's
/// attributes, but not always its targets: freckles or earrings blur into the skin, and a head told "freckles"
/// on such an image learns that blur is a freckle. A target counts as visible when the image is nearer the
/// render (sum of absolute differences) than the same portrait rendered without that target.
public struct VisibleTargets {
    let renderer: PortraitRenderer

    public init(renderer: PortraitRenderer) {
        self.renderer = renderer
    }

    /// The targets of `attributes` that are visible in `image`. `image` and `render` [3, H, W] in [-1, 1].
    /// Pixels the target does not change are equal in both renders and cancel, so the whole image is compared.
    public func visible(in image: Tensor, render: Tensor, attributes: PortraitAttributes) throws -> [PortraitTarget] {
        let targets = attributes.targets.active
        guard !targets.isEmpty else { return [] }
        let toRender = try (image - render).abs().sum().item()
        return try targets.filter { target in
            let without = try renderer.render(target.removed(from: attributes)).image.normalizedTensor()
            return try toRender < (image - without).abs().sum().item()
        }
    }

    /// `classes` [B, heads] (`AttributeClass.all`) with every target of row r that is not visible in
    /// `images[r]` set to its "off" class (0); rows without targets unchanged. `images`, `renders` [B, 3, H, W].
    public func classes(_ classes: Tensor, images: Tensor, renders: Tensor, attributes: [PortraitAttributes]) throws -> Tensor {
        let columns = classes.shape[1]
        var flat = try classes.to(.int64).contiguous().toArray(Int64.self)
        for (r, a) in attributes.enumerated() where !a.targets.active.isEmpty {
            let seen = Set(try visible(in: images.select(dim: 0, index: r), render: renders.select(dim: 0, index: r),
                                       attributes: a))
            for target in a.targets.active where !seen.contains(target) {
                flat[r * columns + AttributeClass.column(of: target)] = 0
            }
        }
        return try Tensor(flat, shape: [classes.shape[0], columns])
    }
}
