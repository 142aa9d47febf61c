import Diffusion
import Foundation
import NN
import ParityTesting
import SafeTensors
import Torch
import XCTest
@testable import Training

/// One SPF stage-2 step against the Python reference written from docs/method.md
/// (tools/reference/spf_fixtures.py: diffusers' UNet with capturing attention processors): phrase weights, both
/// paths' predictions and maps, the SFCM, every loss term, and gradients of the total and of L_tc and L_fg alone,
/// for a batch mixing an add-mode and a replace-mode caption, in three settings and with LoRA adapters trained.
final class SPFStepParityTests: TinyRunTestCase {
    /// As TrainStepParityTests; captured layers compute attention explicitly where the reference processor runs
    /// its own op order (a reduction's rounding apart even on the recording machine), so not bit-exact.
    let forward = Budget.model(length: 576, depth: 30).notBitExact
    let backward = Budget.model(length: 576, depth: 60).notBitExact

    func check(_ name: String, gradientCheckpointing: Bool = false) throws {
        let fixture = try SPFFixture.load()
        func expected(_ key: String) throws -> Tensor { try XCTUnwrap(fixture.tensors["\(name).\(key)"], "\(name).\(key)") }
        let (method, batch, draw) = try fixture.setUp(settings: SPFFixture.settings(name), lora: name == "lora",
                                                      gradientCheckpointing: gradientCheckpointing)
        let step = try method.stage2(batch, draw: draw)
        try assertParity(step.phraseWeights, expected("phrase_weights"), .reduction(length: 32).notBitExact,
                         "\(name) phrase weights", in: referenceFixtures)
        try assertParity(step.reference.sample, expected("eps_ref"), forward, "\(name) reference prediction", in: referenceFixtures)
        try assertParity(step.response.sample, expected("eps_res"), forward, "\(name) response prediction", in: referenceFixtures)
        for layer in step.response.captures.layers {
            try assertParity(XCTUnwrap(layer.maps), expected("maps.\(layer.name)"), forward, "\(name) maps \(layer.name)", in: referenceFixtures)
            try assertParity(XCTUnwrap(step.reference.captures[layer.name]?.maps), expected("ref_maps.\(layer.name)"), forward,
                             "\(name) reference maps \(layer.name)", in: referenceFixtures)
        }
        if let map = step.controlMap {
            try assertParity(map, expected("sfcm"), forward, "\(name) SFCM", in: referenceFixtures)
        } else {
            XCTAssertNil(fixture.tensors["\(name).sfcm"], "the reference computed an SFCM")
        }
        for term in ["loss_diffusion", "loss_tc", "loss_fg"] {
            try assertParity(XCTUnwrap(step.loss.terms[term]).reshape([1]), expected(term), forward, "\(name) \(term)", in: referenceFixtures)
        }
        try assertParity(step.loss.loss.reshape([1]), expected("loss"), forward, "\(name) loss", in: referenceFixtures)
        // The measured distance to the reference, for the record (docs/method.md).
        func largest(_ a: Tensor, _ b: Tensor) throws -> Double { try (a.reshape([-1]) - b.reshape([-1])).abs().amax().item() }
        print("SPF parity \(name): |loss| \(try largest(step.loss.loss, expected("loss"))), |SFCM| "
              + "\(try step.controlMap.map { try largest($0, expected("sfcm")) } ?? 0)")
        XCTAssertNil(step.loss.terms["loss_enh"], "no CLIP model: no L_enh")

        let named = Dictionary(uniqueKeysWithValues: method.trainableParameters.map { ($0.name, $0.tensor) })
        func compareGradients(_ prefix: String) throws {
            var checked = 0
            for (key, value) in fixture.tensors where key.hasPrefix("\(name).\(prefix).") {
                let parameter = try XCTUnwrap(named[String(key.dropFirst("\(name).\(prefix).".count))], key)
                let grad = try parameter.grad() ?? parameter.zerosLike()
                try assertParity(grad, value, backward, key, in: referenceFixtures)
                try parameter.zeroGrad()
                checked += 1
            }
            XCTAssertEqual(checked, 4, "\(name) \(prefix): gradients compared")
        }
        try step.loss.loss.backward()
        try compareGradients("grad")
        for term in ["tc", "fg"] {
            for (_, p) in method.trainableParameters { try p.zeroGrad() }
            let again = try method.stage2(batch, draw: draw)
            try XCTUnwrap(again.loss.terms["loss_\(term)"]).backward()
            try compareGradients("grad_\(term)")
        }
    }

    func testStepWithSFCM() throws { try check("spf") }
    func testStepWithoutSFCM() throws { try check("nosfcm") }
    func testSquaredDifferenceUniformWeightsNearest() throws { try check("squared") }
    /// LoRA stage 2: adapters trained, the reference path with them disabled (strength 0, as PEFT's disable_adapter).
    func testStepWithLoRAAdapters() throws { try check("lora") }
    /// Gradient checkpointing recomputes the blocks' forward in backward: captures and losses are unchanged.
    func testStepWithGradientCheckpointing() throws { try check("spf", gradientCheckpointing: true) }

    /// bf16 autocast (no bf16 reference exists: the float32 fixture is the target): the step runs with the UNet in
    /// bfloat16 and its loss and gradients stay within bfloat16's accuracy of the float32 reference.
    func testStepInBFloat16Autocast() throws {
        let fixture = try SPFFixture.load()
        let (method, batch, draw) = try fixture.setUp(settings: SPFFixture.settings("spf"), mixedPrecision: .bf16)
        let step = try method.stage2(batch, draw: draw)
        XCTAssertEqual(step.response.sample.dtype, .bfloat16, "autocast ran the response path in bfloat16")
        func relative(_ a: Tensor, _ b: Tensor) throws -> Double {
            try (a.to(.float32).reshape([-1]) - b.reshape([-1])).abs().amax().item() / max(try b.abs().amax().item(), 1e-30)
        }
        print("SPF bf16: loss \(try step.loss.loss.item()) vs \(try XCTUnwrap(fixture.tensors["spf.loss"]).item()), "
              + "relative |loss| \(try relative(step.loss.loss.reshape([1]), XCTUnwrap(fixture.tensors["spf.loss"]))), "
              + "|SFCM| \(try relative(XCTUnwrap(step.controlMap), XCTUnwrap(fixture.tensors["spf.sfcm"])))")
        // As CaptureReducedPrecisionTests: a bfloat16 forward within 3e-2 of the float32 output's scale; the
        // backward pass is twice as deep, so twice that. (The SFCM is not bounded here: its min-max normalised
        // noise difference divides bf16 rounding by the range of |eps_res - eps_ref|; measured 6.6e-2.)
        try assertParity(step.loss.loss.to(.float32).reshape([1]), XCTUnwrap(fixture.tensors["spf.loss"]),
                         .accuracy(relative: 3e-2, of: .float32), "bf16 SPF loss", in: referenceFixtures)
        try step.loss.loss.backward()
        var checked = 0
        for (name, tensor) in method.trainableParameters {
            guard let expected = fixture.tensors["spf.grad.\(name)"] else { continue }
            print("SPF bf16: relative |grad| \(name): \(try relative(XCTUnwrap(tensor.grad()), expected))")
            try assertParity(XCTUnwrap(tensor.grad()).to(.float32), expected, .accuracy(relative: 6e-2, of: .float32),
                             "bf16 SPF grad \(name)", in: referenceFixtures)
            checked += 1
        }
        XCTAssertEqual(checked, 4)
    }
}

/// L_enh against tools/reference/spf_step_enh_fixtures.py: the response path's one-step prediction decoded by the
/// tiny VAE and embedded by the world's CLIP (models/world/clip), in the three modes, with the timestep gate
/// (difference: only the t = 120 sample counts), and its gradients through decoder and CLIP into the UNet.
final class SPFEnhancementParityTests: TinyRunTestCase {
    static let worldCLIP = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("models/world/clip").path
    /// UNet, VAE decoder and CLIP vision tower in sequence (30 + 20 + 20 reductions of at most 576 terms); the
    /// backward pass through all three twice as deep.
    let forward = Budget.model(length: 576, depth: 70).notBitExact
    let backward = Budget.model(length: 576, depth: 140).notBitExact

    func check(_ mode: EnhanceMode, maxTimestep: Int, samples: Int) throws {
        let fixture = try SPFFixture.load()
        let expected = try SafeTensors.load(referenceFixtures.path("spf_enh.safetensors"))
        var settings = SPFFixture.settings("spf")
        settings.lambdaEnh = 1
        settings.clipModel = Self.worldCLIP
        settings.enhanceMode = mode
        settings.enhanceTMax = maxTimestep
        let (method, batch, draw) = try fixture.setUp(settings: settings)
        XCTAssertEqual(try XCTUnwrap(expected["\(mode.rawValue).samples"]).item(), Double(samples))
        let step = try method.stage2(batch, draw: draw)
        let loss = try XCTUnwrap(step.loss.terms["loss_enh"])
        try assertParity(loss.reshape([1]), XCTUnwrap(expected["\(mode.rawValue).loss_enh"]), forward,
                         "L_enh \(mode.rawValue)", in: referenceFixtures)
        try loss.backward()
        let named = Dictionary(uniqueKeysWithValues: method.trainableParameters.map { ($0.name, $0.tensor) })
        var checked = 0
        for (key, value) in expected where key.hasPrefix("\(mode.rawValue).grad_enh.") {
            let parameter = try XCTUnwrap(named[String(key.dropFirst("\(mode.rawValue).grad_enh.".count))], key)
            try assertParity(try parameter.grad() ?? parameter.zerosLike(), value, backward, key, in: referenceFixtures)
            checked += 1
        }
        XCTAssertEqual(checked, 4)
    }

    func testDifferenceModeWithTheTimestepGate() throws { try check(.difference, maxTimestep: 400, samples: 1) }
    func testDirectionalMode() throws { try check(.directional, maxTimestep: 999, samples: 2) }
    func testDirectMode() throws { try check(.direct, maxTimestep: 999, samples: 2) }

    /// No sample at or below enhance_t_max: L_enh is 0 and adds nothing.
    func testNoSampleUnderTheGateGivesZero() throws {
        var settings = SPFFixture.settings("spf")
        settings.lambdaEnh = 1
        settings.clipModel = Self.worldCLIP
        settings.enhanceTMax = 100
        let (method, batch, draw) = try SPFFixture.load().setUp(settings: settings)
        XCTAssertEqual(try XCTUnwrap(method.stage2(batch, draw: draw).loss.terms["loss_enh"]).item(), 0)
    }
}
