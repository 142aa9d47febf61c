import Diffusion
import NN
import ParityTesting
import StableDiffusion
import Torch
import XCTest
@testable import Training

/// One optimizer step against diffusers' train_text_to_image logic on the same tiny UNet, inputs fixed by the
/// fixture (tools/reference/train_step_fixtures.py): loss, clipped gradients and tensors after AdamW, for full,
/// cross-attention, LoRA and min-SNR training.
final class TrainStepParityTests: XCTestCase {
    /// The tiny UNet: 3x3 convolutions over at most 64 channels (576 terms), about 30 reductions deep; the
    /// backward pass twice that; AdamW adds a few elementwise operations on top.
    let forward = Budget.model(length: 576, depth: 30)
    let backward = Budget.model(length: 576, depth: 60)

    func check(_ name: String, method: FineTuningMethod, trainable: TrainableSet = .all, snrGamma: Double? = nil,
               mixedPrecision: MixedPrecision = .no, gradientCheckpointing: Bool = false) throws {
        let fixture = try referenceFixtures.load("train_step")
        let precision: DType? = mixedPrecision == .bf16 ? .bfloat16 : nil
        // Checkpointed blocks recompute the same forward, but the reentrant backward accumulates parameter
        // gradients in another order: a reduction's rounding apart even on the recording machine.
        let forward = gradientCheckpointing ? self.forward.notBitExact : self.forward
        let backward = gradientCheckpointing ? self.backward.notBitExact : self.backward
        var config = TrainingConfig()
        config.model = tinyModel
        config.method = method
        config.trainable = trainable
        config.snrGamma = snrGamma
        config.mixedPrecision = mixedPrecision
        config.gradientCheckpointing = gradientCheckpointing
        config.learningRate = 1e-3
        config.lora.rank = 4
        config.lora.alpha = 8
        let models = try TrainingModels.load(config)
        let tuning = try StandardFineTuning(models: models, config: config)
        if method == .lora {
            for (key, value) in fixture where key.hasPrefix("\(name).init.") {
                let parameter = try XCTUnwrap(tuning.trainableParameters.first { "\(name).init.\($0.name)" == key })
                try Tensor.withNoGrad { try parameter.tensor.copy_(value) }
            }
        }
        let parameters = tuning.trainableParameters.map(\.tensor)
        for p in parameters { try p.setRequiresGrad(true) }
        let objective = tuning.objective
        let latents = try fixture.tensor("latents"), noise = try fixture.tensor("noise")
        let timesteps = try fixture.tensor("timesteps")
        let draw = try objective.draw(latents: latents, noise: noise, timesteps: timesteps)
        let prediction = try MixedPrecisionRegion(mixedPrecision).run {
            try models.unet(sample: draw.noisyLatents, timestep: timesteps,
                            encoderHiddenStates: fixture.tensor("encoder_hidden_states")).sample
        }
        if mixedPrecision == .bf16 { XCTAssertEqual(prediction.dtype, .bfloat16, "autocast ran the UNet in bfloat16") }
        let loss = try objective.loss(prediction: prediction, draw: draw)
        try assertParity(loss.reshape([1]), fixture.tensor("\(name).loss"), forward, "\(name) loss", in: referenceFixtures, precision: precision)
        try loss.backward()
        let norm = try clipGradNorm(parameters, maxNorm: 1.0)
        try assertParity(norm.reshape([1]), fixture.tensor("\(name).grad_norm"), backward, "\(name) grad norm",
                         in: referenceFixtures, precision: precision)
        let optimizer = try AdamW(parameters, lr: 1e-3, betas: (0.9, 0.999), eps: 1e-8, weightDecay: 1e-2)
        let named = Dictionary(uniqueKeysWithValues: tuning.trainableParameters.map { ($0.name, $0.tensor) })
        var checked = 0
        for (key, expected) in fixture where key.hasPrefix("\(name).grad.") {
            let parameter = try XCTUnwrap(named[String(key.dropFirst("\(name).grad.".count))], key)
            try assertParity(XCTUnwrap(parameter.grad()), expected, backward, key, in: referenceFixtures, precision: precision)
            checked += 1
        }
        XCTAssertGreaterThan(checked, 2, "\(name): gradients compared")
        try optimizer.step()
        for (key, expected) in fixture where key.hasPrefix("\(name).after.") {
            let parameter = try XCTUnwrap(named[String(key.dropFirst("\(name).after.".count))], key)
            try assertParity(parameter.detach(), expected, backward + .elementwise, key, in: referenceFixtures, precision: precision)
        }
    }

    func testFullFineTuningStep() throws { try check("full", method: .naive) }
    func testCrossAttentionStep() throws { try check("cross_attn", method: .naive, trainable: .crossAttention) }
    func testLoRAStep() throws { try check("lora", method: .lora) }
    func testMinSNRStep() throws { try check("full_snr", method: .naive, snrGamma: 5) }
    func testGradientCheckpointingStep() throws { try check("full", method: .naive, gradientCheckpointing: true) }
    /// bfloat16 autocast: the same ATen autocast region as torch.autocast, so the same casts in the same places
    /// (bit-exact on the recording machine); elsewhere the budgets count in bfloat16's unit roundoff, the
    /// precision the UNet computed in, though the tensors compared are float32.
    func testBFloat16AutocastStep() throws { try check("full_bf16", method: .naive, mixedPrecision: .bf16) }
}
