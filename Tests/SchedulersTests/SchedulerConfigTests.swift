import Foundation
import Schedulers
import XCTest

/// Decoding diffusers' scheduler_config.json files.
final class SchedulerConfigTests: XCTestCase {
    /// Stable Diffusion 1.5's scheduler/scheduler_config.json, verbatim.
    static let sd15 = """
        {"_class_name": "PNDMScheduler", "_diffusers_version": "0.6.0", "beta_end": 0.012,
         "beta_schedule": "scaled_linear", "beta_start": 0.00085, "num_train_timesteps": 1000,
         "set_alpha_to_one": false, "skip_prk_steps": true, "steps_offset": 1, "trained_betas": null,
         "clip_sample": false}
        """

    func decode(_ text: String) throws -> SchedulerConfig {
        try JSONDecoder().decode(SchedulerConfig.self, from: Data(text.utf8))
    }

    func testDecodesStableDiffusion15AndIgnoresUnknownKeys() throws {
        let config = try decode(Self.sd15)
        XCTAssertEqual(config.className, "PNDMScheduler")
        XCTAssertEqual(config.numTrainTimesteps, 1000)
        XCTAssertEqual(config.betaStart, 0.00085)
        XCTAssertEqual(config.betaEnd, 0.012)
        XCTAssertEqual(config.betaSchedule, .scaledLinear)
        XCTAssertNil(config.trainedBetas)
        XCTAssertEqual(config.stepsOffset, 1)
        XCTAssertFalse(config.setAlphaToOne)
        XCTAssertFalse(config.clipSample)
        XCTAssertEqual(config.predictionType, .epsilon)
        // Left out: each scheduler class then uses its own diffusers default, as from_config does.
        XCTAssertNil(config.timestepSpacing)
        var defaults = SchedulerConfig()
        defaults.className = "PNDMScheduler"
        XCTAssertEqual(config, defaults)
    }

    func testDecodesSamplerKeys() throws {
        let config = try decode("""
            {"_class_name": "DPMSolverMultistepScheduler", "prediction_type": "v_prediction",
             "timestep_spacing": "trailing", "use_karras_sigmas": true, "algorithm_type": "dpmsolver++",
             "solver_order": 2, "lower_order_final": true, "final_sigmas_type": "zero", "sigma_min": null,
             "variance_type": null, "lambda_min_clipped": -5.1, "euler_at_final": false, "something_new": [1, 2]}
            """)
        XCTAssertEqual(config.predictionType, .vPrediction)
        XCTAssertEqual(config.timestepSpacing, .trailing)
        XCTAssertTrue(config.useKarrasSigmas)
        XCTAssertEqual(config.solverOrder, 2)
        XCTAssertEqual(config.lambdaMinClipped, -5.1)
        XCTAssertNil(config.sigmaMin)
        XCTAssertNil(config.varianceType)
    }

    func testRoundTripsThroughJSON() throws {
        var config = SchedulerConfig()
        config.timestepSpacing = .trailing
        config.useKarrasSigmas = true
        let data = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(SchedulerConfig.self, from: data), config)
        let keys = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any]).keys
        XCTAssertTrue(keys.contains("timestep_spacing") && keys.contains("use_karras_sigmas"))
    }

    func testUnsupportedBetaScheduleIsANamedError() {
        XCTAssertThrowsError(try decode(#"{"beta_schedule": "sigmoid"}"#)) { error in
            XCTAssertEqual(error as? SchedulerError, .unsupported(
                key: "beta_schedule", value: "sigmoid", scheduler: "SchedulerConfig",
                supported: ["linear", "scaled_linear", "squaredcos_cap_v2"]))
            XCTAssertTrue("\(error)".contains("beta_schedule 'sigmoid'"))
        }
    }

    func testUnsupportedPredictionTypeIsANamedError() {
        XCTAssertThrowsError(try decode(#"{"prediction_type": "flow_prediction"}"#)) { error in
            XCTAssertTrue("\(error)".contains("prediction_type 'flow_prediction'"), "\(error)")
            XCTAssertTrue("\(error)".contains("v_prediction"), "\(error)")
        }
        XCTAssertThrowsError(try decode(#"{"timestep_spacing": "karras"}"#)) { error in
            XCTAssertTrue("\(error)".contains("timestep_spacing 'karras'"), "\(error)")
        }
    }

    func testTrainedBetasMustMatchTheTimestepCount() {
        XCTAssertThrowsError(try decode(#"{"num_train_timesteps": 4, "trained_betas": [0.1, 0.2]}"#)) { error in
            XCTAssertTrue("\(error)".contains("trained_betas holds 2"), "\(error)")
        }
    }
}

/// A config without timestep_spacing samples with each class's diffusers default.
final class TimestepSpacingDefaultTests: XCTestCase {
    func testClassDefaults() throws {
        let config = SchedulerConfig()
        XCTAssertEqual(try DDPMScheduler(config: config).timestepSpacing, .leading)
        XCTAssertEqual(try DDIMScheduler(config: config).timestepSpacing, .leading)
        XCTAssertEqual(try EulerDiscreteScheduler(config: config).timestepSpacing, .linspace)
        XCTAssertEqual(try EulerAncestralDiscreteScheduler(config: config).timestepSpacing, .linspace)
        XCTAssertEqual(try DPMSolverMultistepScheduler(config: config).timestepSpacing, .linspace)
        var trailing = config
        trailing.timestepSpacing = .trailing
        XCTAssertEqual(try EulerDiscreteScheduler(config: trailing).timestepSpacing, .trailing)
    }
}
