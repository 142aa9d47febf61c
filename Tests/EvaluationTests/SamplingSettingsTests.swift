import Evaluation
import Foundation
import StableDiffusion
import XCTest

/// Sampling settings are written into every metrics.json; those written before `guidance_rescale` and `apg` existed
/// still load.
final class SamplingSettingsTests: XCTestCase {
    func testGuidanceRescaleIsOptionalInJSONAndRoundTrips() throws {
        let old = #"{"steps":15,"guidance_scale":5,"scheduler":"DDIMScheduler","size":64,"batch_size":32}"#
        let decoded = try JSONDecoder().decode(SamplingSettings.self, from: Data(old.utf8))
        XCTAssertEqual(decoded.guidanceRescale, 0)
        XCTAssertEqual(decoded.projectedGuidance, .none)
        XCTAssertEqual(decoded.steps, 15)
        var settings = decoded
        settings.guidanceRescale = 0.7
        settings.projectedGuidance = AdaptiveProjectedGuidance(eta: 0, momentum: -0.5, normThreshold: 1)
        let again = try JSONDecoder().decode(SamplingSettings.self, from: JSONEncoder().encode(settings))
        XCTAssertEqual(again, settings)
        XCTAssertThrowsError(try JSONDecoder().decode(SamplingSettings.self, from: Data(#"{"steps":15}"#.utf8)))
    }
}
