import Foundation
import PortraitWorld
import Torch
import WorldModels
import XCTest

/// `probe_visible_targets`: a reconstruction's target truth is what it still shows.
final class VisibleTargetsTests: XCTestCase {
    /// A portrait with a hat, sunglasses and freckles.
    func portrait() -> PortraitAttributes {
        var rng = SplitMix64(seed: 3, stream: 0)
        var a = WorldDistribution.pretraining.sample(using: &rng).withoutTargets
        a.scene.style = .photo
        for target in [PortraitTarget.hat, .sunglasses, .freckles] { a = target.applied(to: a) }
        return a
    }

    /// The render itself shows every target; the render without freckles shows the other two; a near-copy of
    /// the render (a tenth of the way to the freckle-free one) still shows all three.
    func testATargetIsVisibleWhenTheImageIsNearerTheRenderThanTheRenderWithoutIt() throws {
        let renderer = try PortraitRenderer(size: 64)
        let visible = VisibleTargets(renderer: renderer)
        let a = portrait()
        let render = try renderer.render(a).image.normalizedTensor()
        let noFreckles = try renderer.render(PortraitTarget.freckles.removed(from: a)).image.normalizedTensor()
        XCTAssertFalse(try render.allClose(noFreckles, rtol: 0, atol: 0), "freckles change the render")
        XCTAssertEqual(try visible.visible(in: render, render: render, attributes: a), [.hat, .sunglasses, .freckles])
        XCTAssertEqual(try visible.visible(in: noFreckles, render: render, attributes: a), [.hat, .sunglasses])
        let near = try render + (noFreckles - render) * 0.1
        XCTAssertEqual(try visible.visible(in: near, render: render, attributes: a), [.hat, .sunglasses, .freckles])
        let far = try render + (noFreckles - render) * 0.9
        XCTAssertEqual(try visible.visible(in: far, render: render, attributes: a), [.hat, .sunglasses])
        XCTAssertEqual(try visible.visible(in: render, render: render, attributes: a.withoutTargets), [])
    }

    /// `classes` sets the hidden targets' columns of a row to "off" and leaves every other entry alone.
    func testClassesTurnOffTheHiddenTargetsOnly() throws {
        let renderer = try PortraitRenderer(size: 64)
        let a = portrait()
        let plain = a.withoutTargets
        let render = try Tensor.stack([renderer.render(a).image.normalizedTensor(), renderer.render(plain).image.normalizedTensor()])
        let hidden = try Tensor.stack([renderer.render(PortraitTarget.freckles.removed(from: a)).image.normalizedTensor(),
                                       render.select(dim: 0, index: 1)])
        let classes = try Tensor((AttributeClass.indices(of: a) + AttributeClass.indices(of: plain)).map(Int64.init),
                                 shape: [2, AttributeClass.all.count])
        let relabelled = try VisibleTargets(renderer: renderer).classes(classes, images: hidden, renders: render, attributes: [a, plain])
        var expected = try classes.toArray(Int64.self)
        let freckles = AttributeClass.all.firstIndex { $0.name == "freckles" }!
        XCTAssertEqual(expected[freckles], 1)
        expected[freckles] = 0
        XCTAssertEqual(try relabelled.toArray(Int64.self), expected)
    }
}
