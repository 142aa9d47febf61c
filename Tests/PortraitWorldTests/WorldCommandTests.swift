import Foundation
import Imaging
import Training
import XCTest

@testable import PortraitWorld
@testable import spf

/// `spf world render|dataset|grid`: what gets written, and that bad arguments write nothing.
final class WorldCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("world-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    func written() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted() }

    func testRenderWritesTheImageLabelsAndCaption() throws {
        let command = try WorldRenderCommand.parse(["--seed", "4", "--attributes", "hair_color=red,clothing=t-shirt,hat=blue",
                                                    "--out", path("p.png"), "--labels", path("l.png"), "--size", "128"])
        try command.run()
        XCTAssertEqual(written(), ["l.png", "p.png"])
        let image = try ImageFile.read(path: path("p.png"))
        XCTAssertEqual([image.width, image.height], [128, 128])
        let text = Dictionary(uniqueKeysWithValues: try PNGReader.text(path("p.png")).map { ($0.key, $0.value) })
        XCTAssert(text["prompt"]?.hasSuffix(", wearing a blue hat") == true, "\(text)")
        XCTAssert(text["prompt"]?.contains("red hair") == true || text["prompt"]?.contains("red curls") == true
                  || text["prompt"]?.contains("red bob") == true, "\(text)")
        let labels = try LabelMap.read(path: path("l.png"))
        XCTAssertGreaterThan(labels.count(of: .hat), 0)
        // Same seed and attributes: the same bytes.
        let again = try WorldRenderCommand.parse(["--seed", "4", "--attributes", "hair_color=red,clothing=t-shirt,hat=blue",
                                                  "--out", path("q.png"), "--size", "128"])
        try again.run()
        XCTAssertEqual(FileManager.default.contents(atPath: path("p.png")), FileManager.default.contents(atPath: path("q.png")))
    }

    func testBadArgumentsWriteNothing() throws {
        func render(_ arguments: [String]) throws {
            let command = try WorldRenderCommand.parse(arguments + ["--out", path("p.png")])
            try command.run()
        }
        XCTAssertThrowsError(try render(["--attributes", "hair=red"])) {
            XCTAssert("\($0)".contains("unknown attribute \"hair\""), "\($0)")
            XCTAssert("\($0)".contains("subject, face_shape, skin_tone, eye_color, hair_color, hair_style"), "\($0)")
        }
        XCTAssertThrowsError(try render(["--attributes", "style=sketch"])) { XCTAssert("\($0)".contains("photo, cartoon"), "\($0)") }
        XCTAssertThrowsError(try render(["--target", "wings"])) { XCTAssert("\($0)".contains("hat, sunglasses, beard"), "\($0)") }
        XCTAssertThrowsError(try render(["--size", "2"]))
        XCTAssertThrowsError(try render(["--labels", path("none/l.png")]))
        func dataset(_ arguments: [String]) throws {
            let command = try WorldDatasetCommand.parse(arguments)
            try command.run()
        }
        XCTAssertThrowsError(try dataset(["--kind", "pretraining", "--count", "2", "--out", path("d")])) {
            XCTAssert("\($0)".contains("pretrain or finetune"), "\($0)")
        }
        XCTAssertThrowsError(try dataset(["--kind", "finetune", "--target", "cape", "--count", "2", "--out", path("d")]))
        XCTAssertThrowsError(try dataset(["--kind", "finetune", "--count", "2", "--out", path("d")]))
        XCTAssertThrowsError(try dataset(["--kind", "pretrain", "--target", "hat", "--count", "2", "--out", path("d")]))
        XCTAssertThrowsError(try dataset(["--kind", "pretrain", "--count", "0", "--out", path("d")]))
        XCTAssertThrowsError(try dataset(["--kind", "pretrain", "--count", "2", "--styles", "photo,sketch", "--out", path("d")])) {
            XCTAssert("\($0)".contains("unknown style \"sketch\" in --styles (photo, cartoon)"), "\($0)")
        }
        XCTAssertThrowsError(try dataset(["--kind", "finetune", "--target", "hat", "--count", "2", "--styles", "photo",
                                          "--out", path("d")])) { XCTAssert("\($0)".contains("style mix"), "\($0)") }
        XCTAssertEqual(written(), [])
    }

    func testDatasetCommandWritesAnEngineDataset() throws {
        let command = try WorldDatasetCommand.parse(["--kind", "finetune", "--target", "sketch", "--count", "3", "--seed", "2",
                                                     "--out", path("sketch")])
        try command.run()
        XCTAssertEqual(written(), ["sketch"])
        let files = try FileManager.default.contentsOfDirectory(atPath: path("sketch")).sorted()
        XCTAssertEqual(files, ["00000.png", "00001.png", "00002.png", "attributes.jsonl", "labels", "metadata.jsonl", "world.json"])
        let records = try MetadataFile.read(dataset: path("sketch"))
        XCTAssert(records.allSatisfy { $0.portrait?.replaces != nil && $0.text.contains("a pencil sketch") })
        let grid = try WorldGridCommand.parse(["--columns", "2", "--out", path("grid.png")])
        try grid.run()
        let sheet = try ImageFile.read(path: path("grid.png"))
        XCTAssertEqual([sheet.width, sheet.height], [2 * 64 + 3 * 2, 8 * 64 + 9 * 2])
    }
}
