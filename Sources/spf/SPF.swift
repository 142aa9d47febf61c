import ArgumentParser
import Foundation
import Torch

@main
struct SPF: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spf",
        abstract: "SPF-Portrait: semantic-pollution-free fine-tuning of Stable Diffusion 1.5 models.",
        subcommands: [EnvCommand.self, GenerateCommand.self, TrainCommand.self, CompareCommand.self, TokenizeCommand.self, ConvertCommand.self,
                      BenchCommand.self, WorldCommand.self, DemoCommand.self, EvalCommand.self]
    )

    /// Parses and runs like ArgumentParser's own `main()`, but every error a command throws is printed through
    /// `CLIErrorMessage` (one line naming the path, key or row and what is expected; never a framework dump).
    static func main() {
        var command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            try command.run()
        } catch {
            exit(withError: CLIErrorMessage.forCommandLine(error))
        }
    }
}

/// Options every command that computes shares.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "Intra-op threads for libtorch (default: all cores of this machine; at most 4 per core, or 64).")
    var threads: Int?

    /// The most threads accepted: libtorch crashes when asked for tens of thousands.
    static var maxThreads: Int { max(64, 4 * ProcessInfo.processInfo.activeProcessorCount) }

    func validate() throws {
        if let threads, !(1...Self.maxThreads).contains(threads) {
            throw ValidationError("--threads must be between 1 and \(Self.maxThreads) on this machine, got \(threads)")
        }
    }

    /// Applies the thread count; libtorch embedded in a process may otherwise default to one thread.
    func apply() throws {
        try validate()
        let count = threads ?? ProcessInfo.processInfo.activeProcessorCount
        try LibTorch.setNumThreads(count)
    }
}
