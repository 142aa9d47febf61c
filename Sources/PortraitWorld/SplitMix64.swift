/// Steele, Lea and Flood's SplitMix64 (the generator `java.util.SplittableRandom` and xoshiro's seeding
/// use): 64 bits of state, one add and a finaliser per draw. Every random choice of the world goes through
/// it and through the helpers below, never through Foundation or the standard library's `random(in:)`,
/// whose algorithms are not promised to stay the same between Swift versions.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for item `index` of a stream seeded with `seed`: each item gets its own independent
    /// stream, so item 7 of a dataset is the same whether 10 or 10,000 items are drawn.
    public init(seed: UInt64, stream index: UInt64) {
        var mixer = SplitMix64(seed: seed ^ 0x5DEE_CE66_D1CE_4E5B)
        let a = mixer.next()
        var second = SplitMix64(seed: a &+ index &* 0xD1B5_4A32_D192_ED03)
        state = second.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0), without modulo bias: Lemire's multiply-high with rejection.
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(\(n))")
        let bound = UInt64(n)
        let threshold = (0 &- bound) % bound
        while true {
            let (high, low) = next().multipliedFullWidth(by: bound)
            if low >= threshold { return Int(high) }
        }
    }

    /// Uniform in the closed range.
    public mutating func int(in range: ClosedRange<Int>) -> Int { range.lowerBound + below(range.count) }

    /// One element, uniformly.
    public mutating func pick<T>(_ values: [T]) -> T {
        precondition(!values.isEmpty, "pick from an empty list")
        return values[below(values.count)]
    }

    /// True with probability `numerator / denominator` (integers: no floating point decides a draw).
    public mutating func chance(_ numerator: Int, in denominator: Int) -> Bool { below(denominator) < numerator }

    /// Fisher-Yates, last position first.
    public mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for i in stride(from: values.count - 1, to: 0, by: -1) {
            values.swapAt(i, below(i + 1))
        }
    }
}
