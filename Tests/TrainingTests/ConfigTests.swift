import Foundation
import XCTest
@testable import Training

/// Configuration layers (defaults < TOML < flags) and errors that name the field.
final class ConfigTests: XCTestCase {
    func write(_ text: String) throws -> String {
        let path = (try temporaryFolder(self, "config") as NSString).appendingPathComponent("run.toml")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func resolve(_ toml: String, _ overrides: [(String, String)] = []) throws -> TrainingConfig {
        try ConfigResolution.resolve(file: write(toml), overrides: overrides.map { .init(key: $0.0, value: $0.1, source: "--set") })
    }

    func assertError(_ toml: String, _ overrides: [(String, String)] = [], contains parts: [String],
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try resolve(toml, overrides), file: file, line: line) { error in
            for part in parts { XCTAssert("\(error)".contains(part), "'\(part)' not in: \(error)", file: file, line: line) }
        }
    }

    let base = """
        model = "m"
        data = "d"
        out = "o"

        """

    func testLayersAndDefaults() throws {
        let config = try resolve(base + """
            steps = 50
            learning_rate = 1e-4
            method = "lora"
            validation_prompts = ["a woman", "a man"]
            [lora]
            rank = 16
            """, [("steps", "70"), ("lora.alpha", "8"), ("snr_gamma", "5")])
        XCTAssertEqual(config.steps, 70, "flags override the file")
        XCTAssertEqual(config.learningRate, 1e-4)
        XCTAssertEqual(config.method, .lora)
        XCTAssertEqual(config.lora.rank, 16)
        XCTAssertEqual(config.lora.alpha, 8)
        XCTAssertEqual(config.lora.targets, LoRASettings().targets, "unset fields keep their defaults")
        XCTAssertEqual(config.snrGamma, 5)
        XCTAssertEqual(config.validationPrompts, ["a woman", "a man"])
        XCTAssertEqual(config.batchSize, 1)
        // The saved JSON resolves to the same configuration.
        let saved = try ConfigResolution.dictionary(config)
        XCTAssertEqual(saved["learning_rate"] as? Double, 1e-4)
        XCTAssertEqual((saved["lora"] as? [String: Any])?["rank"] as? Int, 16)
    }

    func testErrorsNameTheField() throws {
        assertError(base + "learning_rat = 1e-4", contains: ["field 'learning_rat'", "not a configuration field",
                                                             "did you mean 'learning_rate'"])
        assertError(base + "steps = \"ten\"", contains: ["field 'steps'", "expected an integer"])
        assertError(base + "lr_schedule = \"cosin\"", contains: ["field 'lr_schedule'", "constant, linear, cosine"])
        assertError(base + "learning_rate = 2.0", contains: ["field 'learning_rate'", "must be in (0, 1)"])
        assertError(base + "[lora]\nrnk = 3", contains: ["field 'lora.rnk'"])
        assertError(base + "lora = 3", contains: ["field 'lora'", "expected a table"])
        assertError(base + "steps = ", contains: ["run.toml", "line 4"])
        assertError(base, [("resolution", "30")], contains: ["field 'resolution'", "multiple of 8"])
        assertError(base, [("max_grad_norm", "-1")], contains: ["field 'max_grad_norm'"])
        assertError(base, [("validation_every", "10")], contains: ["field 'validation_prompts'"])
        assertError("steps = 3", contains: ["field 'model'", "missing"])
        XCTAssertThrowsError(try ConfigResolution.resolve(file: "/nonexistent/run.toml", overrides: [])) {
            XCTAssert("\($0)".contains("/nonexistent/run.toml"), "\($0)")
        }
    }

    /// `validation_prompts` entries are plain prompts or base/target captions (inline tables), checked as
    /// metadata.jsonl's captions are, with the field named.
    func testValidationPromptsMayBeCaptions() throws {
        let config = try resolve(base + """
            validation_prompts = ["a woman", {base = "a man, a photo", target = "with a red hat"}, \
            {base = "a man, in a blue t-shirt", target = "in a red dress", mode = "replace", replaces = "in a blue t-shirt"}]
            """)
        XCTAssertEqual(config.validationPrompts.map(\.text), ["a woman", "a man, a photo, with a red hat", "a man, in a red dress"])
        XCTAssertNil(config.validationPrompts[0].caption)
        XCTAssertEqual(config.validationPrompts[2].caption?.replaces, "in a blue t-shirt")
        // config.json round trip (a resumed run reads it back).
        let json = try JSONEncoder().encode(config.validationPrompts)
        XCTAssertEqual(try JSONDecoder().decode([ValidationPrompt].self, from: json), config.validationPrompts)
        assertError(base + #"validation_prompts = [{base = "a man"}]"#, contains: ["validation_prompts", "needs `base` and `target`"])
        assertError(base + #"validation_prompts = [{base = "a man", target = "x", mood = "y"}]"#, contains: ["validation_prompts", "mood"])
        assertError(base + #"validation_prompts = [{base = "a man", target = "x", mode = "replace", replaces = "a cat"}]"#,
                    contains: ["validation_prompts", "not one of the base's phrases"])
        assertError(base + #"validation_prompts = [{base = "a man", target = "x", mode = "swap"}]"#, contains: ["validation_prompts", "add, replace"])
    }

    /// A FIFO (or any non-regular file) as the configuration or as metadata.jsonl fails at once, never blocks.
    func testFIFOsFailImmediately() throws {
        let folder = try temporaryFolder(self, "fifo")
        let fifo = (folder as NSString).appendingPathComponent("run.toml")
        XCTAssertEqual(mkfifo(fifo, 0o600), 0)
        let start = Date()
        XCTAssertThrowsError(try ConfigResolution.resolve(file: fifo, overrides: [])) {
            XCTAssert("\($0)".contains(fifo), "\($0)")
        }
        XCTAssertEqual(mkfifo((folder as NSString).appendingPathComponent("metadata.jsonl"), 0o600), 0)
        XCTAssertThrowsError(try MetadataFile.read(dataset: folder)) { XCTAssert("\($0)".contains("metadata.jsonl"), "\($0)") }
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
    }

    func testResumeMayOnlyChangeWhatDoesNotChangeTheMath() throws {
        let folder = try temporaryFolder(self, "resume")
        var config = TrainingConfig()
        (config.model, config.data, config.out) = ("m", "d", folder)
        let path = (folder as NSString).appendingPathComponent("config.json")
        try JSONEncoder().encode(config).write(to: URL(fileURLWithPath: path))
        let longer = try ConfigResolution.resolveResumed(savedConfig: path, overrides: [.init(key: "steps", value: "2000", source: "--steps")])
        XCTAssertEqual(longer.steps, 2000)
        XCTAssertThrowsError(try ConfigResolution.resolveResumed(savedConfig: path,
                                                                 overrides: [.init(key: "learning_rate", value: "0.1", source: "--learning-rate")])) {
            XCTAssert("\($0)".contains("--learning-rate: field 'learning_rate': cannot change when resuming"), "\($0)")
        }
    }

    func testLearningRateSchedules() {
        let warm = LearningRateSchedule(kind: .constant, baseRate: 1, warmupSteps: 4, totalSteps: 10)
        XCTAssertEqual((0..<6).map(warm.rate(at:)), [0, 0.25, 0.5, 0.75, 1, 1], "diffusers' first step runs at 0")
        let linear = LearningRateSchedule(kind: .linear, baseRate: 1, warmupSteps: 0, totalSteps: 4)
        XCTAssertEqual((0..<5).map(linear.rate(at:)), [1, 0.75, 0.5, 0.25, 0])
        let cosine = LearningRateSchedule(kind: .cosine, baseRate: 2, warmupSteps: 2, totalSteps: 6)
        XCTAssertEqual(cosine.rate(at: 2), 2, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(at: 4), 1, accuracy: 1e-12)
        XCTAssertEqual(cosine.rate(at: 6), 0, accuracy: 1e-12)
    }

    func testEpochOrderIsAPermutationAndResumes() {
        var order = EpochOrder(count: 5, seed: 3)
        let first = order.next(5), second = order.next(5)
        XCTAssertEqual(Set(first), Set(0..<5))
        XCTAssertEqual(Set(second), Set(0..<5))
        XCTAssertNotEqual(first, second, "a new permutation each epoch")
        var a = EpochOrder(count: 5, seed: 3)
        _ = a.next(7)
        var b = EpochOrder(count: 5, seed: 3, epoch: a.epoch, index: a.index)
        XCTAssertEqual(a.next(9), b.next(9))
    }
}
