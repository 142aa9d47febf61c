import Torch
import ParityTesting
import XCTest

/// Seeded random streams, arange/linspace and dtype conversions against PyTorch
/// (Fixtures/ops_random.safetensors). `Generator(seed:)` must give exactly the numbers of
/// `torch.Generator().manual_seed(seed)`.
final class RandomParityTests: SingleThreadedTestCase {
    /// Random streams and ranges against the fixture: integers and uniform draws (bit patterns scaled by a
    /// power of two) are exact everywhere; normal draws (Box-Muller's log/sqrt/cos) and float ranges
    /// (start + i * step, fused or not) are elementwise math.
    /// Normal draws: -2 log, sqrt and cos(2 pi u) in sequence.
    private let boxMuller = Budget.elementwise(steps: 3)

    private func expect(_ budget: Budget, _ actual: Tensor, _ expected: Tensor?, _ label: String,
                        file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try XCTUnwrap(expected, "fixture has no \(label)", file: file, line: line)
        try assertParity(actual, expected, budget, label, in: referenceFixtures, file: file, line: line)
    }

    func testOneGeneratorContinuesTheStreamLikeTorch() throws {
        let fx = try referenceFixtures.load("ops_random")
        let g = try Generator(seed: 42)
        try expect(boxMuller, Tensor.randn([3, 5], generator: g), fx["random.seed42.randn_3x5"], "randn_3x5")
        try expect(boxMuller, Tensor.randn([4, 8], generator: g), fx["random.seed42.randn_4x8"], "randn_4x8")
        try expect(.exact, Tensor.rand([7], generator: g), fx["random.seed42.rand_7"], "rand_7")
        try expect(.exact, Tensor.randint(low: -3, high: 10, [2, 6], generator: g), fx["random.seed42.randint_2x6"],
                        "randint_2x6")
        try expect(boxMuller, Tensor.randn([20], dtype: .float64, generator: g), fx["random.seed42.randn_f64_20"],
                        "randn_f64_20")
        try expect(.exact, Tensor.rand([5], dtype: .float64, generator: g), fx["random.seed42.rand_f64_5"], "rand_f64_5")
        try expect(boxMuller, Tensor.randn([18], dtype: .float16, generator: g), fx["random.seed42.randn_f16_18"],
                        "randn_f16_18")
        try expect(boxMuller, Tensor.randn([6], dtype: .bfloat16, generator: g), fx["random.seed42.randn_bf16_6"],
                        "randn_bf16_6")
    }

    func testSeeds() throws {
        let fx = try referenceFixtures.load("ops_random")
        try expect(boxMuller, Tensor.randn([2, 3, 4], generator: Generator(seed: 0)), fx["random.seed0.randn_2x3x4"],
                        "seed 0")
        try expect(boxMuller, Tensor.randn([17], generator: Generator(seed: (1 << 63) + 12345)),
                        fx["random.seedbig.randn_17"], "seed 2^63 + 12345")
        try expect(.exact, Tensor.rand([3, 3], generator: Generator(seed: 7)), fx["random.seed7.rand_3x3"], "rand seed 7")
        try expect(.exact, Tensor.randint(high: 1000, [100], generator: Generator(seed: 7)),
                        fx["random.seed7.randint_100"], "randint seed 7")
        try expect(boxMuller, Tensor.randn([1, 4, 8, 8], generator: Generator(seed: 1234)), fx["random.seed1234.latents"],
                        "latents")
        // randnLike draws from the generator the same way.
        let like = try Tensor.zeros([1, 4, 8, 8])
        try expect(boxMuller, like.randnLike(generator: Generator(seed: 1234)), fx["random.seed1234.latents"], "randnLike")
    }

    func testArangeAndLinspace() throws {
        let fx = try referenceFixtures.load("ops_random")
        try expect(.exact, Tensor.arange(0, 10), fx["arange.int_like"], "arange.int_like")
        try expect(.elementwise, Tensor.arange(0.5, 3.2, step: 0.3), fx["arange.fraction"], "arange.fraction")
        try expect(.elementwise, Tensor.arange(-1, 1, step: 0.125, dtype: .float64), fx["arange.f64"], "arange.f64")
        try expect(.exact, Tensor.arange(3, 20, step: 4, dtype: .int64), fx["arange.int64"], "arange.int64")
        try expect(.exact, Tensor.arange(999, -1, step: -111), fx["arange.descending"], "arange.descending")
        try expect(.elementwise, Tensor.linspace(0, 1, steps: 7), fx["linspace.unit"], "linspace.unit")
        try expect(.elementwise, Tensor.linspace(-2, 5, steps: 11, dtype: .float64), fx["linspace.f64"], "linspace.f64")
        try expect(.elementwise, Tensor.linspace(0.00085.squareRoot(), 0.012.squareRoot(), steps: 1000), fx["linspace.long"],
                        "linspace.long")
        try expect(.elementwise, Tensor.linspace(3, 9, steps: 1), fx["linspace.one"], "linspace.one")
    }

    func testDTypeConversions() throws {
        let fx = try referenceFixtures.load("ops_random")
        let cases: [(String, DType)] = [
            ("f32_f16", .float16), ("f32_bf16", .bfloat16), ("f32_f64", .float64), ("f32_i64", .int64),
            ("f32_bool", .bool), ("f16_f32", .float32), ("f16_bf16", .bfloat16), ("bf16_f32", .float32),
            ("bf16_f16", .float16), ("i64_f32", .float32), ("i64_bool", .bool), ("bool_f32", .float32),
            ("bool_i64", .int64), ("bool_f16", .float16),
        ]
        for (name, dtype) in cases {
            try checkOp(fx, "to.\(name)", .exact) { try $0[0].to(dtype) }
            // Conversions are exact operations: the same bits, not merely close.
            try expect(.exact, XCTUnwrap(fx["to.\(name).input0"]).to(dtype), fx["to.\(name).out"], "to.\(name)")
        }
    }
}
