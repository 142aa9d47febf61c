import ArgumentParser
import Foundation
import Torch

@main
struct SPF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spf",
        abstract: "SPF-Portrait: semantic-pollution-free fine-tuning of Stable Diffusion 1.5 models.",
        subcommands: [EnvCommand.self, GenerateCommand.self, TrainCommand.self, TokenizeCommand.self, ConvertCommand.self,
                      BenchCommand.self, WorldCommand.self]
    )
}

/// Options every command that computes shares.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Intra-op threads for libtorch (default: all cores of this machine).")
    var threads: Int?

    /// Applies the thread count; libtorch embedded in a process may otherwise default to one thread.
    func apply() throws {
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        guard count > 0 else { throw ValidationError("--threads must be positive, got \(count)") }
        try LibTorch.setNumThreads(count)
    }
}
