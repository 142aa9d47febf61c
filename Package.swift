// swift-tools-version: 6.0
// spf-portrait: semantic-pollution-free fine-tuning of Stable Diffusion 1.5 models, in Swift over libtorch.
import Foundation
import PackageDescription

// Which libtorch: `$LIBTORCH` if set, else the `.libtorch` link that `scripts/setup.sh` makes to the
// project's own torch 2.13.0+cpu. The real path is used for the rpath so that no other libtorch on the
// machine (Debian's libtorch-dev) can be picked up at run time.
let packageDir = Context.packageDirectory
let libtorch: String = {
    let raw = Context.environment["LIBTORCH"].flatMap { $0.isEmpty ? nil : $0 } ?? packageDir + "/.libtorch"
    return (try? FileManager.default.destinationOfSymbolicLink(atPath: raw)).map {
        $0.hasPrefix("/") ? $0 : packageDir + "/" + $0
    } ?? raw
}()
let libtorchInclude = libtorch + "/include"
let libtorchLib = libtorch + "/lib"

let package = Package(
    name: "spf-portrait",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "spf", targets: ["spf"]),
        .library(name: "Torch", targets: ["Torch"]),
        .library(name: "SafeTensors", targets: ["SafeTensors"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "StableDiffusion", targets: ["StableDiffusion"]),
        .library(name: "RunLogs", targets: ["RunLogs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // SHA-256 fingerprints for the latent and text-embedding caches.
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
    ],
    targets: [
        // C API over ATen (tch-rs style): opaque handles, every entry point catches, errors as strings.
        .target(
            name: "CTorch",
            cxxSettings: [
                .unsafeFlags([
                    "-I", libtorchInclude,
                    "-I", libtorchInclude + "/torch/csrc/api/include",
                    "-D_GLIBCXX_USE_CXX11_ABI=1",
                    "-DTORCH_ASSERT_ONLY_METHOD_OPERATORS",
                    "-Wno-deprecated-declarations",
                    "-O2",
                ]),
            ],
            linkerSettings: [
                .unsafeFlags(["-L", libtorchLib, "-Xlinker", "-rpath", "-Xlinker", libtorchLib]),
                .linkedLibrary("torch"),
                .linkedLibrary("torch_cpu"),
                .linkedLibrary("c10"),
            ]
        ),
        // Safe Swift tensors: deterministic lifetime, throwing ops, autograd, optimizers.
        .target(name: "Torch", dependencies: ["CTorch"]),
        // Input files that cannot block (stat before open, O_NONBLOCK, bounded sizes), a strict JSON parser and
        // the config decoder/checks whose every error names file, key and what is expected. Foundation only.
        .target(name: "InputChecks"),
        // safetensors read (memory-mapped, validated) and atomic write.
        .target(name: "SafeTensors", dependencies: ["Torch", "InputChecks"]),
        // Model building blocks named like their checkpoint weights: Module, Linear, Conv2d, norms, LoRA.
        .target(name: "NN", dependencies: ["Torch"]),
        // System libraries from Debian's zlib1g-dev and libpng-dev (scripts/setup.sh installs them if missing).
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .systemLibrary(name: "CLibPNG", path: "Sources/CLibPNG"),
        // Whole-file JPEG decoding over Debian's libjpeg62-turbo-dev, with libjpeg's longjmp errors caught in C.
        .target(name: "CJPEG", linkerSettings: [.linkedLibrary("jpeg")]),
        // CLIP's byte-level BPE tokenizer with phrase spans; pure Swift (zlib only for the .gz vocabulary).
        .target(name: "Tokenizers", dependencies: ["CZlib", "InputChecks"]),
        // DDPM, DDIM, Euler, Euler ancestral, DPM-Solver++ 2M, matching diffusers' numbers.
        .target(name: "Schedulers", dependencies: ["Torch", "InputChecks"]),
        // CLIP text and vision transformers with projections (transformers' names).
        .target(name: "CLIP", dependencies: ["NN", "Torch", "InputChecks", "SafeTensors"]),
        // UNet2DConditionModel with attention capture, AutoencoderKL, and their blocks (diffusers' names).
        .target(name: "Diffusion", dependencies: ["NN", "Torch", "InputChecks"]),
        // Image files in (PNG, JPEG) and out (PNG with text chunks), PIL-exact resampling, training transforms.
        .target(name: "Imaging", dependencies: ["CLibPNG", "CJPEG", "CZlib", "Torch", "InputChecks"]),
        // Checkpoint formats (diffusers folders, single-file SD 1.5) and the text-to-image pipeline.
        .target(name: "StableDiffusion",
                dependencies: ["Torch", "SafeTensors", "NN", "Tokenizers", "Schedulers", "CLIP", "Diffusion", "Imaging",
                               "InputChecks"]),
        // The fine-tuning engine: datasets, caches, the training loop with pluggable methods, checkpoints.
        .target(name: "Training",
                dependencies: ["Torch", "SafeTensors", "NN", "Tokenizers", "Schedulers", "CLIP", "Diffusion", "Imaging",
                               "StableDiffusion", "RunLogs", "InputChecks", "TOML",
                               .product(name: "Crypto", package: "swift-crypto")]),
        // PortraitWorld: procedural portraits with ground truth (label maps, attributes), captions, and datasets in the
        // engine's metadata.jsonl format; plain integer/float Swift, no Torch calls.
        .target(name: "PortraitWorld", dependencies: ["Imaging", "CZlib"]),
        // The world's foundation models (VAE, CLIP, UNet, attribute probe) at small SD 1.5 sizes, their trainers on
        // portraits rendered on the fly, and the shipped layout (diffusers pipeline, CLIP and probe folders).
        .target(name: "WorldModels",
                dependencies: ["PortraitWorld", "Torch", "NN", "SafeTensors", "CLIP", "Diffusion", "Schedulers", "Tokenizers",
                               "Imaging", "StableDiffusion", "Training", "RunLogs", "InputChecks"]),
        // The paper's metrics in PortraitWorld (Frechet distance, probe perceptual distance, identity agreement,
        // CLIP-I/T, Seg-Cons, target detection; bootstrap intervals), batched generation of evaluation sets.
        .target(name: "Evaluation",
                dependencies: ["WorldModels", "PortraitWorld", "CLIP", "Tokenizers", "Torch", "StableDiffusion", "Schedulers", "Imaging",
                               "Training"]),
        // `spf demo`: the fine-tuning set, naive / LoRA / SPF from one stage 1, evaluation, report.html.
        .target(name: "Demo",
                dependencies: ["Evaluation", "WorldModels", "PortraitWorld", "Training", "StableDiffusion", "Imaging", "Torch",
                               "RunLogs"]),
        // TOML 1.0 for run configurations (the format kohya's and accelerate's users write): a Swift parser whose
        // every error is a line and column (toml++ in TOMLKit aborts on some malformed input; docs/decisions.md).
        .target(name: "TOML"),
        // Training metrics as JSON lines and TensorBoard event files; Foundation only (no Torch, no protobuf).
        .target(name: "RunLogs"),
        .executableTarget(
            name: "spf",
            dependencies: [
                "Torch", "SafeTensors", "StableDiffusion", "Tokenizers", "Imaging", "Training", "RunLogs", "PortraitWorld",
                "WorldModels", "InputChecks", "Schedulers", "Evaluation", "Demo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The one comparison rule of the parity tests (per-kind budgets, fixtures' machine records).
        .target(name: "ParityTesting", dependencies: ["Torch", "SafeTensors"], path: "Tests/ParityTesting"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "SafeTensors", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "SafeTensorsTests", dependencies: ["SafeTensors", "Torch"]),
        .testTarget(name: "spfTests", dependencies: ["spf", "Imaging", "StableDiffusion", "SafeTensors", "Torch", "Tokenizers", "ParityTesting",
                                                    .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Torch", "SafeTensors"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "SchedulersTests", dependencies: ["Schedulers", "Torch", "SafeTensors", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "CLIPTests", dependencies: ["CLIP", "NN", "Torch", "SafeTensors", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "NN", "Torch", "SafeTensors", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "Torch", "SafeTensors", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "RunLogsTests", dependencies: ["RunLogs"]),
        .testTarget(name: "TOMLTests", dependencies: ["TOML"], exclude: ["Fixtures"]),
        .testTarget(name: "PortraitWorldTests", dependencies: ["PortraitWorld", "Imaging", "Training", "Tokenizers", "spf"]),
        .testTarget(name: "InputChecksTests", dependencies: ["InputChecks"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "WorldModels", "PortraitWorld", "Torch", "NN",
                                                           "Demo", "StableDiffusion", "Training", "SafeTensors",
                                                           "ParityTesting"]),
        .testTarget(name: "WorldModelsTests",
                    dependencies: ["WorldModels", "PortraitWorld", "StableDiffusion", "Training", "Tokenizers", "Torch", "NN",
                                   "SafeTensors", "Schedulers", "spf"]),
        .testTarget(name: "StableDiffusionTests",
                    dependencies: ["StableDiffusion", "Torch", "SafeTensors", "NN", "CLIP", "Tokenizers", "ParityTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests",
                    dependencies: ["Training", "StableDiffusion", "Diffusion", "Schedulers", "Torch", "SafeTensors", "NN",
                                   "Imaging", "ParityTesting"],
                    exclude: ["Fixtures"]),
    ],
    cxxLanguageStandard: .cxx20
)

// libFuzzer targets (Fuzz/<Name>/), added only when SPF_FUZZ=1 so that the normal `swift build` and
// `swift test` neither build nor see them. Build and run them with `make fuzz` (release, --sanitize=fuzzer,
// -enable-testing for the @testable entry points, scratch path .build-fuzz); see docs/fuzzing.md.
if Context.environment["SPF_FUZZ"] == "1" {
    let fuzzTargets: [(name: String, dependencies: [Target.Dependency])] = [
        ("FuzzSafeTensorsHeader", ["SafeTensors"]),
        ("FuzzTokenizer", ["Tokenizers"]),
        ("FuzzUNetConfig", ["Diffusion", "InputChecks"]),
        ("FuzzVAEConfig", ["Diffusion", "InputChecks"]),
        ("FuzzCLIPConfig", ["CLIP", "InputChecks"]),
        ("FuzzSchedulerConfig", ["Schedulers", "InputChecks"]),
        ("FuzzModelIndex", ["StableDiffusion"]),
        ("FuzzImageFile", ["Imaging"]),
        ("FuzzMetadataFile", ["Training"]),
        ("FuzzTrainingConfig", ["Training"]),
        ("FuzzTOML", ["TOML"]),
    ]
    for target in fuzzTargets {
        package.targets.append(.executableTarget(
            name: target.name, dependencies: target.dependencies, path: "Fuzz/\(target.name)",
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}
