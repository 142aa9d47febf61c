import Foundation
import NN
import Torch
import ParityTesting
import XCTest
@testable import Diffusion

/// Per-sample token groups ([B][G]): a batch that mixes prompts with different phrase spans gives, for each
/// sample, the maps a single-sample run with that sample's groups gives, and the fixture's maps where a sample
/// uses the fixture's groups.
final class CapturePerSampleGroupsTests: XCTestCase {
    func testBatchOfDifferentSpanSetsEqualsSingleSampleRuns() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let (fixtureGroups, layers) = try referenceFixtures.captureSpec()
        // Sample 0 keeps the fixture's groups; sample 1 has other spans, fewer groups, padded with an empty one.
        let other: [[Int]] = [[3, 4, 5, 6], [9], [12, 13]]
        let padded = other + Array(repeating: [], count: fixtureGroups.count - other.count)
        XCTAssertGreaterThan(fixtureGroups.count, other.count, "the test pads sample 1")
        let sample = try io.fixture("sample"), timestep = try io.fixture("timestep")
        let states = try io.fixture("encoder_hidden_states")
        let batched = try model(sample: sample, timestep: timestep, encoderHiddenStates: states,
                                capture: AttentionCaptureSpec(layers: layers.map { .name($0) },
                                                              sampleTokenGroups: [fixtureGroups, padded]))
        for b in 0..<2 {
            let groups = b == 0 ? fixtureGroups : other
            let single = try model(sample: sample.narrow(dim: 0, start: b, length: 1),
                                   timestep: timestep.numel == 1 ? timestep : timestep.narrow(dim: 0, start: b, length: 1),
                                   encoderHiddenStates: states.narrow(dim: 0, start: b, length: 1),
                                   capture: AttentionCaptureSpec(layers: layers.map { .name($0) }, tokenGroups: groups))
            for name in layers {
                let maps = try XCTUnwrap(batched.captures[name]?.maps).narrow(dim: 0, start: b, length: 1)
                let expected = try XCTUnwrap(single.captures[name]?.maps)
                // A batch of one and a batch of two run the same kernels per sample here; allow a reduction's
                // rounding for other BLAS builds.
                try assertParity(maps.narrow(dim: 1, start: 0, length: groups.count), expected,
                                 Budget.reduction(length: 77).notBitExact, "sample \(b) \(name) maps", in: referenceFixtures)
                if b == 1 {
                    let pad = try maps.narrow(dim: 1, start: groups.count, length: fixtureGroups.count - groups.count)
                    XCTAssertEqual(try pad.abs().amax().item(), 0, "an empty group's map is zero")
                }
                if b == 0 {
                    try assertParity(maps, io.fixture("capture.\(name).maps").narrow(dim: 0, start: 0, length: 1),
                                     UNetBudget.forward.notBitExact, "sample 0 \(name) maps vs diffusers", in: referenceFixtures)
                }
            }
        }
    }

    func testPerSampleGroupErrorsAndJSON() throws {
        let model = try referenceFixtures.model("unet_tiny")
        let io = try referenceFixtures.load("unet_tiny_io")
        let bad: [(AttentionCaptureSpec, String)] = [
            (AttentionCaptureSpec(layers: [.all], sampleTokenGroups: [[[1]]]), "samples"),
            (AttentionCaptureSpec(layers: [.all], sampleTokenGroups: [[[1]], [[1], [2]]]), "pad with empty"),
            (AttentionCaptureSpec(layers: [.all], sampleTokenGroups: [[[1]], [[77]]]), "outside"),
            (AttentionCaptureSpec(layers: [.all], tokenGroups: [[1]], sampleTokenGroups: [[[1]], [[2]]]), "not both"),
        ]
        for (spec, message) in bad {
            XCTAssertThrowsError(try model(sample: io.fixture("sample"), timestep: io.fixture("timestep"),
                                           encoderHiddenStates: io.fixture("encoder_hidden_states"), capture: spec)) {
                XCTAssert("\($0)".contains(message), "\($0)")
            }
        }
        let json = #"{"layers": ["all"], "sampleTokenGroups": [[[1, 2], [5]], [[3], []]]}"#
        let spec = try JSONDecoder().decode(AttentionCaptureSpec.self, from: Data(json.utf8))
        XCTAssertEqual(spec.sampleTokenGroups, [[[1, 2], [5]], [[3], []]])
        XCTAssertEqual(try JSONDecoder().decode(AttentionCaptureSpec.self, from: JSONEncoder().encode(spec)), spec)
        let shared = AttentionCaptureSpec(layers: [.all], tokenGroups: [[1]])
        XCTAssertFalse(String(decoding: try JSONEncoder().encode(shared), as: UTF8.self).contains("sampleTokenGroups"))
    }
}
