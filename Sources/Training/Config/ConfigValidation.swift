import Diffusion
import Foundation

extension TrainingConfig {
    /// Checks what the values mean (not only their types), naming the field at fault.
    public func validate() throws {
        func require(_ ok: Bool, _ field: CodingKeys, _ reason: String) throws {
            if !ok { throw ConfigError(field: field.rawValue, reason) }
        }
        func finite(_ value: Double) -> Bool { value.isFinite }
        try require(!model.isEmpty, .model, "missing: give a diffusers folder or a .safetensors file (--model)")
        try require(!data.isEmpty, .data, "missing: give a dataset folder with metadata.jsonl (--data)")
        try require(!out.isEmpty, .out, "missing: give the run folder (--out)")
        try require(steps > 0 && steps <= 10_000_000, .steps, "must be in 1...10000000, got \(steps)")
        try require(batchSize > 0 && batchSize <= 4096, .batchSize, "must be in 1...4096, got \(batchSize)")
        try require(gradientAccumulation > 0 && gradientAccumulation <= 4096, .gradientAccumulation,
                    "must be in 1...4096, got \(gradientAccumulation)")
        try require(finite(learningRate) && learningRate > 0 && learningRate < 1, .learningRate,
                    "must be in (0, 1), got \(learningRate)")
        try require(warmupSteps >= 0 && warmupSteps <= steps, .warmupSteps,
                    "must be in 0...steps (\(steps)), got \(warmupSteps)")
        try require(finite(adamBeta1) && (0..<1).contains(adamBeta1), .adamBeta1, "must be in [0, 1), got \(adamBeta1)")
        try require(finite(adamBeta2) && (0..<1).contains(adamBeta2), .adamBeta2, "must be in [0, 1), got \(adamBeta2)")
        try require(finite(adamEpsilon) && adamEpsilon > 0, .adamEpsilon, "must be positive, got \(adamEpsilon)")
        try require(finite(weightDecay) && weightDecay >= 0, .weightDecay, "must be >= 0, got \(weightDecay)")
        if let maxGradNorm {
            try require(finite(maxGradNorm) && maxGradNorm > 0, .maxGradNorm, "must be positive, got \(maxGradNorm)")
        }
        if let snrGamma {
            try require(finite(snrGamma) && snrGamma > 0, .snrGamma, "must be positive, got \(snrGamma)")
        }
        if let emaDecay {
            try require(finite(emaDecay) && emaDecay > 0 && emaDecay < 1, .emaDecay, "must be in (0, 1), got \(emaDecay)")
        }
        try require(finite(noiseOffset) && noiseOffset >= 0 && noiseOffset < 1, .noiseOffset,
                    "must be in [0, 1), got \(noiseOffset)")
        try require(resolution >= 8 && resolution <= 4096 && resolution % 8 == 0, .resolution,
                    "must be a multiple of 8 in 8...4096, got \(resolution)")
        try require(logEvery > 0, .logEvery, "must be positive, got \(logEvery)")
        try require(checkpointEvery > 0, .checkpointEvery, "must be positive, got \(checkpointEvery)")
        try require(keepCheckpoints > 0, .keepCheckpoints, "must be positive, got \(keepCheckpoints)")
        if let validationEvery {
            try require(validationEvery > 0, .validationEvery, "must be positive, got \(validationEvery)")
            try require(!validationPrompts.isEmpty, .validationPrompts,
                        "is empty but validation_every is set: give at least one prompt")
        }
        try require(validationSteps > 0 && validationSteps <= 1000, .validationSteps,
                    "must be in 1...1000, got \(validationSteps)")
        try require(finite(validationGuidance) && validationGuidance >= 0 && validationGuidance <= 100,
                    .validationGuidance, "must be in [0, 100], got \(validationGuidance)")
        if method == .spf { try validateSPF() }
        if initFrom != nil {
            try require(method == .spf, .initFrom, "is only for method \"spf\" (stage 2 from a stage-1 run)")
        }
        if method == .lora || (method == .spf && spf.lora) {
            try require(lora.rank > 0 && lora.rank <= 1024, .lora, "lora.rank must be in 1...1024, got \(lora.rank)")
            try require(finite(lora.alpha) && lora.alpha > 0, .lora, "lora.alpha must be positive, got \(lora.alpha)")
            try require(!lora.targets.isEmpty, .lora, "lora.targets is empty")
        }
    }
}

extension TrainingConfig {
    /// The `[spf]` table: weights are finite and non-negative, selectors parse, the stages fit the steps.
    func validateSPF() throws {
        func require(_ ok: Bool, _ field: SPFSettings.CodingKeys, _ reason: String) throws {
            if !ok { throw ConfigError(field: "spf.\(field.rawValue)", reason) }
        }
        let s = spf
        for (value, field) in [(s.lambdaDiff, SPFSettings.CodingKeys.lambdaDiff), (s.lambdaTc, .lambdaTc),
                               (s.lambdaFg, .lambdaFg), (s.lambdaEnh, .lambdaEnh)] {
            try require(value.isFinite && value >= 0 && value <= 1e6, field, "must be in [0, 1e6], got \(value)")
        }
        try require(s.lambdaDiff + s.lambdaTc + s.lambdaFg + s.lambdaEnh > 0, .lambdaDiff,
                    "every loss weight is 0: nothing to train")
        try require(s.stage1Steps >= 0 && s.stage1Steps < steps, .stage1Steps,
                    "must be in 0..<steps (\(steps)): stage 2 needs at least one step, got \(s.stage1Steps)")
        try require(s.blurSigma.isFinite && s.blurSigma >= 0 && s.blurSigma <= 16, .blurSigma,
                    "must be in [0, 16] latent pixels, got \(s.blurSigma)")
        try require(s.enhanceTMax >= 0, .enhanceTMax, "must be >= 0, got \(s.enhanceTMax)")
        for (list, field) in [(s.sfcmLayers, SPFSettings.CodingKeys.sfcmLayers), (s.tcLayers, .tcLayers),
                              (s.fgLayers, .fgLayers)] {
            try require(!list.isEmpty, field, "is empty: give capture selectors (\"all\", \"1/N\", a layer name)")
            for selector in list {
                do { _ = try CaptureLayerSelector(selector) } catch {
                    throw ConfigError(field: "spf.\(field.rawValue)", "\(error)")
                }
            }
        }
        if let clip = s.clipModel {
            try require(FileManager.default.fileExists(atPath: (clip as NSString).appendingPathComponent("config.json")),
                        .clipModel, "\(clip) is not a transformers CLIPModel folder (no config.json)")
        }
        if s.stage1Steps > 0 {
            try require(initFrom == nil, .stage1Steps, "is > 0 and init_from is set: choose one way into stage 2")
        }
    }
}
