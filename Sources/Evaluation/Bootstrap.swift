import PortraitWorld

/// A value with its 95% bootstrap confidence interval over seeds (percentile method).
public struct Estimate: Codable, Equatable, Sendable {
    public var value: Double
    public var low: Double
    public var high: Double

    public init(value: Double, low: Double, high: Double) {
        self.value = value
        self.low = low
        self.high = high
    }
}

/// Percentile bootstrap over the evaluated pairs: resample the n pairs with replacement `replicates` times
/// (a fixed SplitMix64 stream, so a report is reproducible), recompute the statistic, and take the 2.5% and
/// 97.5% quantiles. Pairs are the unit: the original and customized images of one prompt and seed stay together.
public struct Bootstrap: Sendable {
    public var replicates = 1000
    public var seed: UInt64 = 0

    public init(replicates: Int = 1000, seed: UInt64 = 0) {
        self.replicates = replicates
        self.seed = seed
    }

    /// `biasCorrected`: shift the percentile interval by the bootstrap's bias (the replicates' mean minus the
    /// estimate). A set statistic like the Frechet distance grows when a resample repeats pairs (fewer distinct
    /// images, noisier covariances), so its plain percentile interval can sit above the estimate itself.
    public func estimate(count n: Int, biasCorrected: Bool = false, _ statistic: ([Int]) throws -> Double) rethrows -> Estimate {
        let value = try statistic(Array(0..<n))
        guard n > 1, replicates > 1 else { return Estimate(value: value, low: value, high: value) }
        var rng = SplitMix64(seed: seed, stream: 0)
        var samples: [Double] = []
        samples.reserveCapacity(replicates)
        for _ in 0..<replicates {
            let draw = (0..<n).map { _ in Int(rng.next() % UInt64(n)) }
            samples.append(try statistic(draw))
        }
        samples.sort()
        let bias = biasCorrected ? samples.reduce(0, +) / Double(samples.count) - value : 0
        func quantile(_ q: Double) -> Double {
            let position = q * Double(samples.count - 1)
            let lower = Int(position.rounded(.down)), upper = Int(position.rounded(.up))
            return samples[lower] + (samples[upper] - samples[lower]) * (position - Double(lower))
        }
        return Estimate(value: value, low: quantile(0.025) - bias, high: quantile(0.975) - bias)
    }

    /// The mean of per-pair values.
    public func mean(_ values: [Double]) -> Estimate {
        estimate(count: values.count) { draw in draw.reduce(0) { $0 + values[$1] } / Double(max(draw.count, 1)) }
    }
}
