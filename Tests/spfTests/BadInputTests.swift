import Foundation
import Imaging
import SafeTensors
import Torch
import XCTest

@testable import spf

/// Issue 11: every damaged input and bad flag gets a clear error, in time, and leaves nothing behind: no trap,
/// no hang, no partial output, no black image with exit status 0, no framework dump.
final class BadInputTests: XCTestCase {
    static let model = GenerateCommandTests.model
    var directory: URL!
    private var threads = 0

    override func setUpWithError() throws {
        threads = LibTorch.numThreads
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
        try LibTorch.setNumThreads(threads)
    }

    private var out: String { directory.appendingPathComponent("out").path }

    private func written() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).sorted()
    }

    /// Runs `spf generate` in-process with a tiny request and returns the error's text ("" when it succeeded).
    private func generate(_ arguments: [String], model: String? = nil) -> String {
        let base = ["--model", model ?? Self.model, "--out", out, "--steps", "2", "--height", "16", "--width", "16",
                    "--threads", "1"]
        do {
            var command = try GenerateCommand.parseAsRoot(base + arguments)
            try command.run()
            return ""
        } catch {
            return GenerateCommand.message(for: error) + " " + CLIErrorMessage.describe(error)
        }
    }

    /// A copy of the tiny pipeline with `edit` applied to one JSON file.
    private func modelCopy(_ file: String, _ edit: (inout [String: Any]) -> Void) throws -> String {
        let copy = directory.appendingPathComponent("model-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.copyItem(atPath: Self.model, toPath: copy)
        let path = (copy as NSString).appendingPathComponent(file)
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path))
        return copy
    }

    private func assertMessage(_ text: String, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        for part in parts { XCTAssert(text.contains(part), "expected '\(part)' in: \(text)", file: file, line: line) }
        XCTAssertFalse(text.contains("NSCocoaErrorDomain") || text.contains("DecodingError"), text, file: file, line: line)
    }

    /// Runs `body` on another thread and fails (instead of hanging the suite) when it takes longer than `seconds`.
    private func finishes(within seconds: Double, _ body: @escaping () -> Void, file: StaticString = #filePath,
                          line: UInt = #line) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let work = body
        Thread { work(); done.signal() }.start()
        XCTAssertEqual(done.wait(timeout: .now() + seconds), .success, "still blocked after \(seconds) s", file: file, line: line)
    }

    // MARK: crashes

    func testConfigValuesThatTrappedAreErrorsNamingFileAndKey() throws {
        let groups = try modelCopy("unet/config.json") { $0["norm_num_groups"] = 0 }
        assertMessage(generate(["--prompt", "x"], model: groups), contains: ["unet/config.json", "norm_num_groups",
                                                                              "positive integer", "got 0"])
        let layers = try modelCopy("text_encoder/config.json") { $0["num_hidden_layers"] = -1 }
        assertMessage(generate(["--prompt", "x"], model: layers), contains: ["text_encoder/config.json", "num_hidden_layers",
                                                                              "got -1"])
        XCTAssertEqual(written(), [])
    }

    func testUnboundedFlagsAreRefused() throws {
        for length in ["4611686018427387904", "10000000000", "1"] {
            XCTAssertThrowsError(try TokenizeCommand.parseAsRoot(["--model", Self.model, "--max-length", length, "a"])) {
                assertMessage(TokenizeCommand.message(for: $0), contains: ["--max-length must be between 2 and 65536"])
            }
        }
        XCTAssertThrowsError(try EnvCommand.parseAsRoot(["--threads", "100000"])) {
            assertMessage(EnvCommand.message(for: $0), contains: ["--threads must be between 1 and"])
        }
        XCTAssertThrowsError(try EnvCommand.parseAsRoot(["--threads", "0"]))
        assertMessage(generate(["--prompt", "x", "--batch", "100000"]), contains: ["batch size must be between 1 and 256"])
        assertMessage(generate(["--prompt", "x", "--guidance", "1e308"]), contains: ["guidance scale must be a number between 0 and 1000"])
        assertMessage(generate(["--prompt", "x", "--lora", "x.safetensors", "--lora-scale", "1e300"]), contains: ["--lora-scale"])
    }

    // MARK: hangs

    func testFIFOInputsFailAtOnce() throws {
        let fifo = directory.appendingPathComponent("pipe.safetensors").path
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let latents = Box()
        finishes(within: 20) { latents.text = self.generate(["--prompt", "x", "--init-latents", fifo]) }
        assertMessage(latents.text, contains: [fifo, "FIFO"])

        let weights = try modelCopy("unet/config.json") { _ in }
        let file = (weights as NSString).appendingPathComponent("unet/diffusion_pytorch_model.safetensors")
        try FileManager.default.removeItem(atPath: file)
        XCTAssertEqual(mkfifo(file, 0o600), 0)
        let model = Box()
        finishes(within: 20) { model.text = self.generate(["--prompt", "x"], model: weights) }
        assertMessage(model.text, contains: [file, "FIFO"])

        let convert = Box()
        finishes(within: 20) {
            do {
                var command = try ConvertCommand.parseAsRoot(["--checkpoint", fifo, "--tokenizer",
                                                              Self.model + "/tokenizer", "--out", self.out])
                try command.run()
            } catch { convert.text = "\(error)" }
        }
        assertMessage(convert.text, contains: [fifo, "FIFO"])
        XCTAssertEqual(written(), [])
    }

    // MARK: partial output

    func testNoImageIsLeftWhenOneCannotBeMovedIntoPlace() throws {
        // The second image's name is taken by a folder: refused before any work, nothing written.
        try FileManager.default.createDirectory(atPath: out + "/0-1.png", withIntermediateDirectories: true)
        assertMessage(generate(["--prompt", "x", "--batch", "2"]), contains: ["0-1.png is a folder there"])
        XCTAssertEqual(written(), ["0-1.png"])
        // And should a move fail anyway, the files already moved are taken back.
        let folder = try OutputFolder(directory.appendingPathComponent("staged").path, names: ["a", "b"])
        XCTAssertThrowsError(try folder.publish(["a", "b"]) { name, path in
            if name == "b" { throw InputError("b failed") }
            try Data("x".utf8).write(to: URL(fileURLWithPath: path))
        })
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.path))
    }

    // MARK: silent garbage

    func testNonFiniteInputsAndResultsAreErrors() throws {
        let nan = directory.appendingPathComponent("nan.safetensors").path
        try SafeTensors.save(["latents": try Tensor([Float](repeating: .nan, count: 256), shape: [1, 4, 8, 8])], to: nan)
        assertMessage(generate(["--prompt", "x", "--init-latents", nan]), contains: [nan, "NaN or infinity"])

        let weights = try modelCopy("unet/config.json") { _ in }
        let file = (weights as NSString).appendingPathComponent("vae/diffusion_pytorch_model.safetensors")
        let tensors = try SafeTensorsFile(path: file).tensors()
        let name = tensors.keys.sorted()[0]
        try tensors[name]!.fill_(Double.infinity)
        try SafeTensors.save(tensors, metadata: ["format": "pt"], to: file)
        assertMessage(generate(["--prompt", "x"], model: weights), contains: ["vae", name, "NaN or infinity"])

        let scaling = try modelCopy("vae/config.json") { $0["scaling_factor"] = 0 }
        assertMessage(generate(["--prompt", "x"], model: scaling), contains: ["vae/config.json", "scaling_factor", "greater than 0"])
        for (key, value) in [("beta_start", -1.0), ("beta_end", 2.0)] {
            let betas = try modelCopy("scheduler/scheduler_config.json") { $0[key] = value }
            assertMessage(generate(["--prompt", "x"], model: betas), contains: ["scheduler_config.json", key, "between 0.0 and 1.0"])
        }
        let eps = try modelCopy("unet/config.json") { $0["norm_eps"] = -1 }
        assertMessage(generate(["--prompt", "x"], model: eps), contains: ["unet/config.json", "norm_eps", "greater than 0"])
        XCTAssertEqual(written(), [])
    }

    // MARK: messages

    func testMessagesSayWhatIsWrongAndWhere() throws {
        XCTAssertThrowsError(try TokenizeCommand.parseAsRoot(["--model", Self.model])) {
            assertMessage(TokenizeCommand.message(for: $0), contains: ["no prompt"])
        }
        XCTAssertThrowsError(try GenerateCommand.parseAsRoot(["--model", Self.model, "--out", out])) {
            assertMessage(GenerateCommand.message(for: $0), contains: ["no prompt"])
        }
        let fraction = try modelCopy("unet/config.json") { $0["layers_per_block"] = 4.5 }
        assertMessage(generate(["--prompt", "x"], model: fraction), contains: ["unet/config.json: layers_per_block: expected an integer, got 4.5"])
        let negative = try modelCopy("unet/config.json") { $0["block_out_channels"] = [-32, 32] }
        assertMessage(generate(["--prompt", "x"], model: negative), contains: ["block_out_channels[0]", "positive integer", "got -32"])
        // vocab.json gives an id past the text encoder's 600 embeddings (the start token's).
        let vocabulary = try modelCopy("tokenizer/vocab.json") { $0["<|startoftext|>"] = 700 }
        assertMessage(generate(["--prompt", "x"], model: vocabulary), contains: ["/tokenizer: token id", "vocab_size in", "text_encoder/config.json", "do not belong together"])
        let missing = try modelCopy("text_encoder/config.json") { _ in }
        try FileManager.default.removeItem(atPath: missing + "/text_encoder/config.json")
        assertMessage(generate(["--prompt", "x"], model: missing), contains: ["text_encoder/config.json: no such file"])
        let invalid = try modelCopy("scheduler/scheduler_config.json") { $0["num_train_timesteps"] = "many" }
        assertMessage(generate(["--prompt", "x"], model: invalid), contains: ["scheduler_config.json: num_train_timesteps: expected an integer, got \"many\""])
        assertMessage(generate(["--prompt", "x", "--device", "cuda"]), contains: LibTorch.cudaDeviceCount == 0 ? ["no CUDA device"] : [])
        assertMessage(generate(["--prompt", "x", "--steps", "1000"]), contains: ["--steps 1000", "reach timestep 1000", "fewer steps"])
        assertMessage(generate(["--prompt", "x", "--steps", "1001"]), contains: ["--steps 1001", "between 1 and"])
        do {
            var command = try ConvertCommand.parseAsRoot(["--checkpoint", Self.model + "/unet/diffusion_pytorch_model.safetensors",
                                                          "--tokenizer", "/nonexistent", "--out", out])
            try command.run()
            XCTFail("converted")
        } catch {
            assertMessage("\(error)", contains: ["/nonexistent: no such folder"])
        }
        XCTAssertEqual(CLIErrorMessage.firstLines("Could not run 'aten::empty' with arguments from the 'CUDA' backend.\n\nCPU: registered at x\nMeta: registered at y"),
                       "Could not run 'aten::empty' with arguments from the 'CUDA' backend.")
        let cocoa = CLIErrorMessage.describe(CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: "/x/config.json"]))
        XCTAssert(cocoa.hasPrefix("/x/config.json: "), cocoa)
        XCTAssertEqual(written(), [])
    }

    // MARK: --out, before any work

    func testOutputProblemsAreFoundBeforeTheModelLoads() throws {
        // The model's weights are broken: a --out error proves the output was checked first.
        let broken = try modelCopy("unet/config.json") { _ in }
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: broken + "/unet/diffusion_pytorch_model.safetensors"))
        let file = directory.appendingPathComponent("file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        func run(_ out: String) -> String {
            do {
                var command = try GenerateCommand.parseAsRoot(["--model", broken, "--out", out, "--prompt", "x", "--steps", "2",
                                                               "--height", "16", "--width", "16", "--threads", "1"])
                try command.run()
                return ""
            } catch { return "\(error)" }
        }
        assertMessage(run(file), contains: ["--out \(file): exists and is not a folder"])
        assertMessage(run(file + "/sub"), contains: ["--out \(file)/sub", "not a folder"])
        assertMessage(run(""), contains: ["--out: an empty path is not a folder"])
        if getuid() != 0 {
            let locked = directory.appendingPathComponent("locked").path
            try FileManager.default.createDirectory(atPath: locked, withIntermediateDirectories: false)
            chmod(locked, 0o500)
            defer { chmod(locked, 0o700) }
            assertMessage(run(locked), contains: ["not writable"])
            assertMessage(run(locked + "/new"), contains: ["not writable"])
        }
        // With a good --out the broken weights are what fails.
        assertMessage(run(out), contains: ["diffusion_pytorch_model.safetensors"])
        XCTAssertEqual(written(), [])
    }
}

private final class Box: @unchecked Sendable {
    var text = ""
}

/// `--help` anywhere prints the command's usage (it once printed the parser's internal error instead).
final class HelpTextTests: XCTestCase {
    func testHelpRequestsPrintUsageNotAnError() throws {
        for arguments in [["--help"], ["train", "--help"], ["world", "pretrain", "--help"], ["help", "generate"]] {
            let error: any Error
            do {
                var command = try SPF.parseAsRoot(arguments)
                try command.run()
                XCTFail("\(arguments) ran a command")
                continue
            } catch let caught {
                error = CLIErrorMessage.forCommandLine(caught)
            }
            let text = SPF.fullMessage(for: error)
            XCTAssertEqual(SPF.exitCode(for: error), .success, "\(arguments): \(text)")
            XCTAssert(text.contains("USAGE: spf"), "\(arguments): \(text)")
            XCTAssertFalse(text.contains("CommandError"), "\(arguments): \(text)")
        }
    }
}
