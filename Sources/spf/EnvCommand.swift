import ArgumentParser
import Foundation
import Torch

/// `spf env`: which libtorch is loaded, how it was built, and what it will run on.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the libtorch version, its build configuration, devices, threads and library path."
    )

    @OptionGroup var runtime: RuntimeOptions

    @Flag(help: "Also print libtorch's full build configuration.")
    var verbose = false

    func run() throws {
        try runtime.apply()
        let cuda = LibTorch.cudaDeviceCount
        print("libtorch version: \(LibTorch.version)")
        print("library:          \(LibTorch.libraryPath)")
        print("threads:          \(LibTorch.numThreads)")
        print("devices:          cpu" + (cuda > 0 ? ", " + (0..<cuda).map { "cuda:\($0)" }.joined(separator: ", ") : ""))
        let config = LibTorch.buildConfiguration
        if verbose {
            print("build configuration:")
            print(config)
        } else {
            // The lines users ask about: compiler, CPU capability, BLAS and CUDA settings.
            let wanted = ["BLAS_INFO", "BUILD_TYPE", "USE_CUDA", "USE_CUDNN", "USE_MKLDNN", "USE_OPENMP"]
            for line in config.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("- Build settings:") {
                    let settings = line.dropFirst("- Build settings:".count).split(separator: ",")
                        .map { $0.trimmingCharacters(in: .whitespaces) }
                        .filter { setting in wanted.contains { setting.hasPrefix($0 + "=") } }
                    print("  " + settings.joined(separator: ", "))
                } else if line.contains("GCC") || line.contains("CPU capability") || line.contains("CUDA Runtime") {
                    print("  " + line.dropFirst(2))
                }
            }
        }
    }
}
