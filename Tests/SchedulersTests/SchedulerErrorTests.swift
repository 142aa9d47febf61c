import Schedulers
import Torch
import XCTest

/// Bad input gives a thrown error that names the problem.
final class SchedulerErrorTests: XCTestCase {
    func testUnknownSchedulerNameListsTheValidNames() {
        XCTAssertThrowsError(try makeScheduler(name: "PNDMScheduler")) { error in
            XCTAssertEqual(error as? SchedulerError, .unknownScheduler("PNDMScheduler", valid: schedulerNames))
            let text = "\(error)"
            for name in ["ddim", "euler_a", "dpmpp_2m_karras", "EulerDiscreteScheduler"] {
                XCTAssertTrue(text.contains(name), text)
            }
        }
    }

    func testFactoryNames() throws {
        for name in schedulerNames { _ = try makeScheduler(name: name) }
        XCTAssertTrue(try makeScheduler(name: "dpmpp_2m_karras").config.useKarrasSigmas)
        XCTAssertFalse(try makeScheduler(name: "dpmpp_2m").config.useKarrasSigmas)
        XCTAssertEqual(try makeScheduler(name: "euler_a").className, "EulerAncestralDiscreteScheduler")
    }

    func testStepBeforeSetTimestepsThrows() throws {
        let x = try Tensor.zeros([1, 4, 8, 8])
        for name in ["ddpm", "ddim", "euler", "euler_a", "dpmpp_2m"] {
            let scheduler = try makeScheduler(name: name)
            XCTAssertThrowsError(try scheduler.step(modelOutput: x, timestep: 999, sample: x), name) { error in
                XCTAssertTrue("\(error)".contains("setTimesteps"), "\(error)")
            }
        }
    }

    func testTooManyInferenceStepsThrows() throws {
        for name in ["ddpm", "ddim", "euler", "euler_a", "dpmpp_2m"] {
            let scheduler = try makeScheduler(name: name)
            XCTAssertThrowsError(try scheduler.setTimesteps(1001), name) { error in
                XCTAssertEqual(error as? SchedulerError, .invalidStepCount(1001, trainTimesteps: 1000))
            }
            XCTAssertThrowsError(try scheduler.setTimesteps(0), name)
        }
    }

    func testUnsupportedOptionsAreNamed() throws {
        var config = SchedulerConfig()
        config.predictionType = .sample
        XCTAssertThrowsError(try makeScheduler(name: "euler_a", config: config)) { error in
            XCTAssertTrue("\(error)".contains("prediction_type 'sample'"), "\(error)")
        }
        config = SchedulerConfig()
        config.algorithmType = "sde-dpmsolver++"
        XCTAssertThrowsError(try makeScheduler(name: "DPMSolverMultistepScheduler", config: config)) { error in
            XCTAssertTrue("\(error)".contains("algorithm_type 'sde-dpmsolver++'"), "\(error)")
        }
        config = SchedulerConfig()
        config.thresholding = true
        XCTAssertThrowsError(try makeScheduler(name: "ddim", config: config)) { error in
            XCTAssertTrue("\(error)".contains("thresholding"), "\(error)")
        }
        config = SchedulerConfig()
        config.varianceType = "learned_range"
        XCTAssertThrowsError(try makeScheduler(name: "ddpm", config: config)) { error in
            XCTAssertTrue("\(error)".contains("variance_type 'learned_range'"), "\(error)")
        }
    }

    func testTimestepOutsideTheScheduleThrows() throws {
        let x = try Tensor.zeros([1, 4, 8, 8])
        for name in ["ddpm", "euler"] {
            let scheduler = try makeScheduler(name: name)
            try scheduler.setTimesteps(5)
            XCTAssertThrowsError(try scheduler.step(modelOutput: x, timestep: 500.5, sample: x), name) { error in
                XCTAssertTrue("\(error)".contains("500.5"), "\(error)")
            }
        }
        let ddim = try makeScheduler(name: "ddim")
        try ddim.setTimesteps(5)
        XCTAssertThrowsError(try ddim.step(modelOutput: x, timestep: 1000, sample: x))
    }

    func testSteppingPastTheEndThrows() throws {
        let scheduler = try makeScheduler(name: "euler")
        try scheduler.setTimesteps(2)
        var x = try Tensor.zeros([1, 4, 8, 8])
        for t in scheduler.timestepValues { x = try scheduler.step(modelOutput: x, timestep: t, sample: x) }
        XCTAssertThrowsError(try scheduler.step(modelOutput: x, timestep: 1, sample: x)) { error in
            XCTAssertTrue("\(error)".contains("all 2 steps"), "\(error)")
        }
    }
}
