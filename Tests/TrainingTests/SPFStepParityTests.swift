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

    func check(_ name: String) throws {
        let fixture = try SPFFixture.load()
        func expected(_ key: String) throws -> Tensor { try XCTUnwrap(fixture.tensors["\(name).\(key)"], "\(name).\(key)") }
        let (method, batch, draw) = try fixture.setUp(settings: SPFFixture.settings(name), lora: name == "lora")
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
