/// The order examples are drawn in: a fresh permutation per epoch, a pure function of (seed, epoch), so
/// that a resumed run needs only its (epoch, index) position to continue with exactly the same batches.
/// Batches run on across epoch ends (the last examples of an epoch and the first of the next may share a
/// batch), so every step has a full batch.
public struct EpochOrder: Equatable, Sendable, Codable {
    public let count: Int
    public let seed: UInt64
    public private(set) var epoch = 0
    public private(set) var index = 0
    private var permutation: [Int]

    public init(count: Int, seed: UInt64) {
        precondition(count > 0, "an empty dataset has no order")
        self.count = count
        self.seed = seed
        permutation = Self.permutation(count: count, seed: seed, epoch: 0)
    }

    /// Continues at a saved position.
    public init(count: Int, seed: UInt64, epoch: Int, index: Int) {
        self.init(count: count, seed: seed)
        self.epoch = epoch
        self.index = min(max(index, 0), count)
        permutation = Self.permutation(count: count, seed: seed, epoch: epoch)
    }

    /// The next `n` example indices.
    public mutating func next(_ n: Int) -> [Int] {
        var result: [Int] = []
        result.reserveCapacity(n)
        while result.count < n {
            if index == count {
                epoch += 1
                index = 0
                permutation = Self.permutation(count: count, seed: seed, epoch: epoch)
            }
            result.append(permutation[index])
            index += 1
        }
        return result
    }

    /// Fisher-Yates with SplitMix64 seeded from (seed, epoch): plain integer arithmetic, the same on every
    /// machine.
    static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var state = seed &+ 0x9E37_79B9_7F4A_7C15 &* UInt64(epoch + 1)
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            order.swapAt(i, j)
        }
        return order
    }
}
