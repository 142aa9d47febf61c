@testable import Schedulers
import Torch
import ParityTesting
import XCTest

/// Timesteps, sigmas and init_noise_sigma after set_timesteps(n) against diffusers.
///
/// Exactness: on the machine that recorded the fixtures everything here is bit for bit. diffusers computes
/// these in numpy float64 from torch float32 sigmas (and, for Karras sigmas, numpy's float32 SIMD log, which
/// is not correctly rounded); NumPyMirror replays those operations, numpy's log kernel included. Elsewhere
/// the torch float32 schedule differs within its budget, and a Karras timestep rounded from a float may
/// cross a rounding boundary (`assertRoundedIntegers`).
final class TimestepTests: XCTestCase {
    func testTimestepsAndSigmasEqualDiffusers() throws {
        let fixtures = try SchedulerFixtures.get()
        var checked = 0
        for entry in fixtures.cases {
            let variant = entry["variant"] as! String, sampler = entry["sampler"] as! String
            let counts = entry["counts"] as! [Int]
            let scheduler = try fixtures.makeSampler(sampler, variant: variant)
            for n in counts {
                let label = "\(variant)/\(sampler) n=\(n)"
                try scheduler.setTimesteps(n)
                let expectedTimesteps = try fixtures.tensor("\(variant)/\(sampler)/timesteps/\(n)")
                if let dpm = scheduler as? DPMSolverMultistepScheduler, dpm.config.useKarrasSigmas {
                    let values = dpm.sigmaSchedule.sigmaValues
                    let sources = NumPyMirror.karrasSigmas(sigmaMin: Double(values[0]), sigmaMax: Double(values[values.count - 1]),
                                                           count: n)
                        .map { NumPyMirror.sigmaToT($0, logSigmas: dpm.sigmaSchedule.logSigmas) }
                    assertRoundedIntegers(try scheduler.timesteps.toArray(Int64.self).map(Int.init),
                                          try expectedTimesteps.toArray(Int64.self).map(Int.init), sources: sources,
                                          rounding: dpm.config.betaSchedule == .squaredcosCapV2 ? .towardZero : .toNearestOrEven,
                                          format: FloatFormat.of(.float32)!, budget: SchedulerBudget.schedule,
                                          "\(label) timesteps", in: referenceFixtures)
                } else {
                    try assertParity(scheduler.timesteps, expectedTimesteps, SchedulerBudget.schedule, "\(label) timesteps",
                                     in: referenceFixtures)
                }
                if let expected = fixtures.tensors["\(variant)/\(sampler)/sigmas/\(n)"] {
                    let sigmas = try XCTUnwrap(scheduler.sigmas, label)
                    try assertParity(sigmas, expected, SchedulerBudget.schedule, "\(label) sigmas", in: referenceFixtures)
                } else {
                    XCTAssertNil(scheduler.sigmas, label)
                }
                let initSigma = try fixtures.tensor("\(variant)/\(sampler)/init_noise_sigma/\(n)").item()
                try assertParity(scheduler.initNoiseSigma, initSigma, precision: .float32, SchedulerBudget.schedule,
                                 "\(label) init_noise_sigma", in: referenceFixtures)
                XCTAssertEqual(try scheduler.timesteps.to(.float64).toArray(Double.self), scheduler.timestepValues)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 200)
    }

    /// numpy's float32 log (AVX2/AVX512F kernel) that diffusers' Karras timesteps depend on. The mirror is
    /// plain Swift, the same on every CPU; the fixture is numpy's output on the recording machine, which used
    /// that kernel unless its numpy dispatched AVX512_SKX (then another kernel: compare within the budget).
    func testNumPyLogMirror() throws {
        let fixtures = try SchedulerFixtures.get()
        let inputs = try fixtures.tensor("numpy_log/in").toArray(Float.self)
        let expected = try fixtures.tensor("numpy_log/out").toArray(Float.self)
        let actual = inputs.map(NumPyMirror.logFloat32)
        let bad = inputs.indices.filter { actual[$0].bitPattern != expected[$0].bitPattern }
        for i in bad.prefix(5) { print("log mismatch", i, inputs[i], actual[i], expected[i]) }
        let numpySIMD = referenceFixtures.recorded?.numpySIMD ?? []
        if numpySIMD.contains("AVX512_SKX") {
            try assertParity(Tensor(actual), Tensor(expected), .elementwise, "numpy log", in: referenceFixtures)
        } else {
            XCTAssertEqual(bad.count, 0, "\(bad.count) of \(inputs.count) logs differ from numpy's")
        }
    }
}
