import ArgumentParser
import Foundation
import Torch

/// `spf bench ...`: timings of our Swift layer. bench/ops.sh runs these beside PyTorch and prints ratios.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (compare with PyTorch through bench/ops.sh).",
        subcommands: [OpsBenchCommand.self, UNetBenchCommand.self, SPFBenchCommand.self]
    )
}

struct OpsBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ops",
        abstract: "Time GEMM 2048^3, conv2d forward and forward+backward, and attention through the Swift layer."
    )

    @OptionGroup var runtime: RuntimeOptions

    @Option(help: "Timed iterations per op (after 2 warm-up iterations); the median is reported.")
    var iterations = 10

    @Option(help: "Run only the ops whose names contain this text.")
    var only: String?

    @Flag(help: "Print one JSON object per op instead of a table.")
    var json = false

    @Flag(help: "Serve bench/pingpong.py: print the op names, then run one iteration of each op named on stdin and print its wall and process CPU seconds, until stdin closes.")
    var serve = false

    func run() throws {
        try runtime.apply()
        if serve { return try OpsBenchmark.serve(OpsBenchmark.cases()) }
        guard iterations > 0 else { throw ValidationError("--iterations must be positive") }
        for op in try OpsBenchmark.cases() where only.map({ op.name.contains($0) }) ?? true {
            let median = try OpsBenchmark.median(iterations: iterations, op.body)
            if json {
                print("{\"op\": \"\(op.name)\", \"median_ms\": \(median * 1000), \"threads\": \(LibTorch.numThreads)}")
            } else {
                print(op.name.padding(toLength: 28, withPad: " ", startingAt: 0) + String(format: "%10.3f ms", median * 1000))
            }
        }
    }
}

/// The op set of the foundation issue, with the same shapes and seeds as bench/ops_torch.py.
enum OpsBenchmark {
    struct Case {
        let name: String
        let body: () throws -> Void
    }

    static func cases() throws -> [Case] {
        let generator = try Generator(seed: 0)
        let a = try Tensor.randn([2048, 2048], generator: generator)
        let b = try Tensor.randn([2048, 2048], generator: generator)
        let x = try Tensor.randn([2, 320, 64, 64], generator: generator)
        let w = try Tensor.randn([320, 320, 3, 3], generator: generator) * 0.02
        let bias = try Tensor.zeros([320])
        let xg = try x.clone().requiringGrad()
        let wg = try w.clone().requiringGrad()
        let upstream = try Tensor.randn([2, 320, 64, 64], generator: generator)
        let q = try Tensor.randn([1, 8, 4096, 40], generator: generator)
        let k = try Tensor.randn([1, 8, 4096, 40], generator: generator)
        let v = try Tensor.randn([1, 8, 4096, 40], generator: generator)
        return [
            Case(name: "gemm_2048") { _ = try a.matmul(b) },
            Case(name: "conv2d_fwd") {
                _ = try Tensor.withNoGrad { try x.conv2d(weight: w, bias: bias, padding: (1, 1)) }
            },
            Case(name: "conv2d_fwd_bwd") {
                // grad = None, as the PyTorch side (PyTorch's zero_grad default): no memset, backward writes fresh.
                try xg.setGrad(nil)
                try wg.setGrad(nil)
                try xg.conv2d(weight: wg, bias: bias, padding: (1, 1)).backward(upstream)
            },
            Case(name: "attention_sdpa") {
                _ = try Tensor.withNoGrad { try Tensor.scaledDotProductAttention(query: q, key: k, value: v) }
            },
        ]
    }

    /// The ping-pong protocol of bench/pingpong.py (bench/ops_torch.py --serve speaks the same): one line
    /// `{"ops": [...]}`, then for each op name read from stdin one run of it and one line `{"wall": s, "cpu": s}`.
    /// Both sides stay alive and take turns per iteration, so a drift of the machine hits both within a second.
    static func serve(_ cases: [Case]) throws {
        let byName = Dictionary(uniqueKeysWithValues: cases.map { ($0.name, $0.body) })
        // Unbuffered: the driver waits for each line.
        func emit(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        emit("{\"ops\": [" + cases.map { "\"\($0.name)\"" }.joined(separator: ", ") + "]}")
        while let line = readLine() {
            let name = line.trimmingCharacters(in: .whitespaces)
            guard let body = byName[name] else {
                emit("{\"error\": \"unknown op \(name)\"}")
                continue
            }
            let cpu = processCPUSeconds()
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            emit("{\"wall\": \(wall), \"cpu\": \(processCPUSeconds() - cpu)}")
        }
    }

    /// CPU time of every thread of this process (CLOCK_PROCESS_CPUTIME_ID, what Python's time.process_time reads):
    /// time stolen by the hypervisor or by other processes does not count, unlike wall time.
    static func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Median wall time in seconds over `iterations` runs, after `warmUp` untimed runs.
    static func median(iterations: Int, warmUp: Int = 2, _ body: () throws -> Void) throws -> Double {
        for _ in 0..<warmUp { try body() }
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = DispatchTime.now().uptimeNanoseconds
            try body()
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        times.sort()
        return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
    }
}
