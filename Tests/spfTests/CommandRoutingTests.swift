import ArgumentParser
import XCTest

@testable import spf

/// Command lines reach the command they name: `spf eval --original ...` is the one-model evaluation (the default
/// subcommand) and `spf eval suite` the full suite, whose own options need no --original (ArgumentParser decodes
/// every command on the path, so a parent with required options would swallow its subcommands).
final class CommandRoutingTests: XCTestCase {
    func testEvalRoutes() throws {
        let one = try SPF.parseAsRoot(["eval", "--original", "o", "--customized", "c", "--target", "hat"])
        XCTAssert(one is EvalModelCommand, "\(type(of: one))")
        XCTAssert(try SPF.parseAsRoot(["eval", "model", "--original", "o", "--lora", "l", "--target", "hat"]) is EvalModelCommand)
        let suite = try SPF.parseAsRoot(["eval", "suite", "--targets", "hat,beard", "--minutes", "5"])
        let parsed = try XCTUnwrap(suite as? EvalSuiteCommand)
        XCTAssertEqual(parsed.targets, "hat,beard")
        XCTAssert(try SPF.parseAsRoot(["demo", "--target", "hat"]) is DemoCommand)
        XCTAssert(try SPF.parseAsRoot(["world", "pretrain", "--out", "x", "--resume", "--extend-unet", "10"]) is WorldPretrainCommand)
        let imported = try XCTUnwrap(SPF.parseAsRoot(["world", "import", "--from", "models/world", "--out", "x"]) as? WorldImportCommand)
        XCTAssertEqual(imported.retrain, "unet", "the UNet is what one retrains by default")
    }

    /// `spf world import --retrain` names an unknown stage: refused before anything is read or written.
    func testWorldImportRefusesAnUnknownStage() throws {
        var command = try XCTUnwrap(SPF.parseAsRoot(["world", "import", "--from", "nowhere", "--out", "/tmp/spf-never-\(UUID().uuidString)",
                                                     "--retrain", "unet,decoder"]) as? WorldImportCommand)
        XCTAssertThrowsError(try command.run()) { XCTAssertTrue("\($0)".contains("--retrain: unknown stage \"decoder\""), "\($0)") }
    }
}
