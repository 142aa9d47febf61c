import Evaluation
import Foundation
import PortraitWorld
import XCTest

/// The metrics on constructed cases: identical sets give distance 0 and agreement 1, and a known change moves
/// the metric it should by the amount it should.
final class MetricMathTests: XCTestCase {
    func points(_ n: Int, _ d: Int, seed: UInt64) -> [[Double]] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in (0..<d).map { _ in Double(rng.next() % 10_000) / 5_000 - 1 } }
    }

    func centered(_ x: [[Double]]) -> [[Double]] {
        let d = x[0].count
        let mean = (0..<d).map { i in x.reduce(0) { $0 + $1[i] } / Double(x.count) }
        return x.map { row in zip(row, mean).map { $0 - $1 } }
    }

    func traceOfCovariance(_ x: [[Double]]) -> Double {
        let c = centered(x)
        return (0..<x[0].count).reduce(0.0) { sum, i in sum + c.reduce(0) { $0 + $1[i] * $1[i] } / Double(x.count - 1) }
    }

    func testEigenDecompositionReconstructsTheMatrix() {
        let n = 6
        let x = points(20, n, seed: 1)
        var m = [Double](repeating: 0, count: n * n)
        for row in x { for i in 0..<n { for j in 0..<n { m[i * n + j] += row[i] * row[j] } } }
        let eigen = SymmetricEigen(m, n: n)
        let back = eigen.applying { $0 }
        for (a, b) in zip(m, back) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, abs(a))) }
        XCTAssert(eigen.values.allSatisfy { $0 > -1e-9 }, "a Gram matrix is positive semi-definite")
    }

    func testFrechetDistanceOfIdenticalSetsIsZero() throws {
        let a = points(50, 8, seed: 2)
        XCTAssertEqual(try FrechetDistance.between(a, a), 0, accuracy: 1e-9)
    }

    func testFrechetDistanceOfAShiftIsTheSquaredShift() throws {
        let a = points(50, 8, seed: 3)
        let shift = [0.5, -1, 0, 0.25, 0, 0, 2, 0]
        let b = a.map { zip($0, shift).map { $0 + $1 } }
        XCTAssertEqual(try FrechetDistance.between(a, b), shift.reduce(0) { $0 + $1 * $1 }, accuracy: 1e-8)
    }

    /// Covariance 4S against S: tr(S) + 4 tr(S) - 2 tr(2S) = tr(S).
    func testFrechetDistanceOfADoubledSpreadIsTheTrace() throws {
        let a = centered(points(60, 5, seed: 4))
        let b = a.map { $0.map { 2 * $0 } }
        XCTAssertEqual(try FrechetDistance.between(a, b), traceOfCovariance(a), accuracy: 1e-8)
    }

    func testFrechetDistanceRejectsTooFewImages() {
        XCTAssertThrowsError(try FrechetDistance.between([[1, 2]], [[1, 2], [3, 4]]))
    }

    func testBootstrapIsReproducibleAndCollapsesOnConstants() {
        let constant = Bootstrap().mean([Double](repeating: 0.75, count: 20))
        XCTAssertEqual(constant, Estimate(value: 0.75, low: 0.75, high: 0.75))
        let values = (0..<40).map { Double($0 % 7) }
        let first = Bootstrap(seed: 5).mean(values)
        XCTAssertEqual(first, Bootstrap(seed: 5).mean(values))
        XCTAssertLessThan(first.low, first.value)
        XCTAssertGreaterThan(first.high, first.value)
        XCTAssertEqual(first.value, values.reduce(0, +) / 40, accuracy: 1e-12)
    }

    /// The Frechet distance of resampled sets is biased upwards (repeated pairs); the corrected interval is the
    /// percentile interval moved down by that bias, so it is centred on the estimate's side again.
    func testBiasCorrectedIntervalShiftsByTheBootstrapBias() throws {
        let a = points(24, 4, seed: 6), b = points(24, 4, seed: 7)
        let statistic = { (draw: [Int]) throws -> Double in try FrechetDistance.between(draw.map { a[$0] }, draw.map { b[$0] }) }
        let plain = try Bootstrap(replicates: 200, seed: 1).estimate(count: 24, statistic)
        let corrected = try Bootstrap(replicates: 200, seed: 1).estimate(count: 24, biasCorrected: true, statistic)
        XCTAssertEqual(plain.value, corrected.value)
        XCTAssertLessThan(corrected.low, plain.low, "resampling with repeats inflates the distance: the shift is down")
        XCTAssertEqual(plain.high - plain.low, corrected.high - corrected.low, accuracy: 1e-9)
        XCTAssertLessThan(corrected.low, corrected.value)
        XCTAssertGreaterThan(corrected.high, corrected.value)
    }

    func observations(_ attributes: [[Int]], labels: [[UInt8]], clip: [[Double]]) -> ImageObservations {
        ImageObservations(clip: clip, attributes: attributes, labels: labels)
    }

    func testPairMetricsOfIdenticalObservations() {
        let attributes = [AttributeClass.indices(of: PortraitAttributes())]
        let o = observations(attributes, labels: [[0, 1, 2, 2, 5, 6]], clip: [[0.6, 0.8]])
        XCTAssertEqual(PairMetrics.identityAgreement(o, o), [1])
        XCTAssertEqual(PairMetrics.clipImageSimilarity(o, o)[0], 1, accuracy: 1e-12)
        XCTAssertEqual(PairMetrics.segmentationConsistency(o, o, excluding: []), [1])
    }

    /// Changing one identity attribute costs exactly 1/6 of identity agreement; a change of the scene costs none.
    func testIdentityAgreementCountsIdentityOnly() {
        var changed = PortraitAttributes()
        changed.identity.eyeColor = changed.identity.eyeColor == .blue ? .green : .blue
        changed.scene.backgroundColor = changed.scene.backgroundColor == .green ? .blue : .green
        let a = observations([AttributeClass.indices(of: PortraitAttributes())], labels: [[0]], clip: [[1, 0]])
        let b = observations([AttributeClass.indices(of: changed)], labels: [[0]], clip: [[1, 0]])
        XCTAssertEqual(PairMetrics.identityAgreement(a, b)[0], 5.0 / 6.0, accuracy: 1e-12)
    }

    /// A hat drawn over hair leaves Seg-Cons at 1 (the region is the target's); the same change of a
    /// background pixel to hair lowers it.
    func testSegmentationConsistencyIgnoresOnlyTheTargetRegion() {
        let hat = PortraitLabel.hat.rawValue, hair = PortraitLabel.hair.rawValue, skin = PortraitLabel.skin.rawValue
        let background = PortraitLabel.background.rawValue
        let original: [UInt8] = [background, background, hair, hair, skin, skin]
        let withHat: [UInt8] = [background, background, hat, hat, skin, skin]
        let moved: [UInt8] = [background, hair, hair, hair, skin, skin]
        let a = observations([[0]], labels: [original], clip: [[1]])
        let regions = PairMetrics.regionLabels(of: .hat)
        XCTAssertEqual(PairMetrics.segmentationConsistency(a, observations([[0]], labels: [withHat], clip: [[1]]), excluding: regions), [1])
        // background IoU 1/2, hair 2/3, skin 1.
        XCTAssertEqual(PairMetrics.segmentationConsistency(a, observations([[0]], labels: [moved], clip: [[1]]), excluding: regions)[0],
                       (0.5 + 2.0 / 3.0 + 1) / 3, accuracy: 1e-12)
    }

    func testTargetDetectionReadsTheTargetsHead() {
        var on = PortraitAttributes()
        on.targets.hat = .red
        let o = observations([AttributeClass.indices(of: PortraitAttributes()), AttributeClass.indices(of: on)], labels: [[0], [0]],
                             clip: [[1], [1]])
        XCTAssertEqual(PairMetrics.targetDetected(o, target: .hat), [0, 1])
        XCTAssertEqual(PairMetrics.targetDetected(o, target: .beard), [0, 0])
    }

    func testEvaluationPromptsAreHeldOutSplitsOfTheTarget() throws {
        for target in PortraitTarget.allCases {
            let prompts = try EvaluationPrompts.world(target: target, count: 6, seed: 9)
            XCTAssertEqual(prompts.count, 6)
            XCTAssertEqual(prompts.map(\.seed), (0..<6).map { 9 + UInt64($0) })
            for prompt in prompts {
                XCTAssertTrue(target.canApply(to: prompt.attributes), "\(target)")
                XCTAssertFalse(target.words.contains { prompt.caption.base.contains($0) }, prompt.caption.base)
                XCTAssertTrue(prompt.caption.fullText.contains(prompt.caption.target))
            }
            // Prompt i does not depend on the count.
            XCTAssertEqual(try EvaluationPrompts.world(target: target, count: 3, seed: 9).map(\.caption.base),
                           prompts.prefix(3).map(\.caption.base))
        }
    }
}
