@testable import Schedulers
import Torch
import XCTest

/// Timesteps, sigmas and init_noise_sigma after set_timesteps(n) against diffusers.
///
/// Exactness: everything here is compared bit for bit. diffusers computes these in numpy float64 from
/// torch float32 sigmas (and, for Karras sigmas, numpy's float32 SIMD log, which is not correctly
/// rounded); NumPyMirror replays those operations, numpy's log kernel included, so no last-bit slack
/// is needed.
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
                try assertIdentical(scheduler.timesteps, fixtures.tensor("\(variant)/\(sampler)/timesteps/\(n)"), label)
                if let expected = fixtures.tensors["\(variant)/\(sampler)/sigmas/\(n)"] {
                    let sigmas = try XCTUnwrap(scheduler.sigmas, label)
                    try assertIdentical(sigmas, expected, "\(label) sigmas")
                } else {
                    XCTAssertNil(scheduler.sigmas, label)
                }
                let initSigma = try fixtures.tensor("\(variant)/\(sampler)/init_noise_sigma/\(n)").item()
                XCTAssertEqual(scheduler.initNoiseSigma, initSigma, "\(label) init_noise_sigma")
                XCTAssertEqual(try scheduler.timesteps.to(.float64).toArray(Double.self), scheduler.timestepValues)
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 200)
    }

    /// numpy's float32 log (AVX2/AVX512F kernel) that diffusers' Karras timesteps depend on.
    func testNumPyLogMirror() throws {
        let fixtures = try SchedulerFixtures.get()
        let inputs = try fixtures.tensor("numpy_log/in").toArray(Float.self)
        let expected = try fixtures.tensor("numpy_log/out").toArray(Float.self)
        let actual = inputs.map(NumPyMirror.logFloat32)
        let bad = inputs.indices.filter { actual[$0].bitPattern != expected[$0].bitPattern }
        for i in bad.prefix(5) { print("log mismatch", i, inputs[i], actual[i], expected[i]) }
        let mismatches = bad.count
        XCTAssertEqual(mismatches, 0, "\(mismatches) of \(inputs.count) logs differ from numpy's")
    }
}
