import Foundation
import Imaging
import Tokenizers
import Training
import XCTest

@testable import PortraitWorld

/// Captions, datasets in the engine's format, and the pre-training set's purity.
final class DatasetTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("world-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func words(_ text: String) -> Set<String> {
        Set(text.lowercased().split(whereSeparator: { $0 == " " || $0 == "," || $0 == "-" }).map(String.init))
    }

    /// Each caption's phrases are the engine's phrases, start with the subject, and say what is drawn.
    func testCaptionsDescribeTheirAttributes() throws {
        let dataset = try WorldDataset(kind: .pretrain, count: 300, seed: 17)
        var orders = Set<[Caption.Role]>()
        var texts = Set<String>()
        for index in 0..<300 {
            let example = try dataset.example(index)
            let a = example.attributes
            let caption = example.caption
            XCTAssertEqual(CLIPTokenizer.phrases(in: caption.text), caption.phrases.map(\.text))
            XCTAssertEqual(caption.phrases.first?.role, .subject)
            XCTAssertEqual(example.row.text, caption.text)
            let subject = try XCTUnwrap(caption.phrase(.subject))
            XCTAssert(subject == "a person" || words(subject).contains(a.identity.subject.rawValue), subject)
            XCTAssertEqual(caption.phrases[0].statedAttributes, subject == "a person" ? [] : ["subject"], subject)
            XCTAssertEqual(caption.phrases.dropFirst().flatMap(\.statedAttributes).sorted(),
                           caption.phrases.dropFirst().flatMap(\.role.attributes).sorted())
            let hair = words(try XCTUnwrap(caption.phrase(.hair)))
            XCTAssert(hair.contains(a.identity.hairColor.rawValue), "\(hair)")
            let clothing = try XCTUnwrap(caption.phrase(.clothing))
            XCTAssert(words(clothing).contains(a.scene.clothingColor.rawValue), clothing)
            let items = CaptionBuilder.clothingWords(a.scene.clothing)
            XCTAssert(items.contains { clothing.hasSuffix(" " + $0) }, clothing)
            let background = words(try XCTUnwrap(caption.phrase(.background)))
            XCTAssert(background.contains(a.scene.backgroundColor.rawValue), "\(background)")
            XCTAssert(CaptionBuilder.styleWords(a.scene.style).contains(try XCTUnwrap(caption.phrase(.style))))
            if let eyes = caption.phrase(.eyes) { XCTAssert(words(eyes).contains(a.identity.eyeColor.rawValue)) }
            if let skin = caption.phrase(.skin) { XCTAssert(words(skin).contains(a.identity.skinTone.rawValue)) }
            XCTAssertEqual(caption.phrase(.lighting) != nil, a.scene.style == .photo && a.scene.lighting != .even)
            orders.insert(caption.phrases.map(\.role))
            texts.insert(caption.text)
        }
        XCTAssertGreaterThan(orders.count, 100, "phrase order should vary")
        XCTAssertEqual(texts.count, 300)
    }

    /// No target attribute in pre-training images, attributes or captions.
    func testPretrainingSetHasNoTargetAttributesOrWords() throws {
        let dataset = try WorldDataset(kind: .pretrain, count: 2000, seed: 3)
        let forbidden = Set(PortraitTarget.allCases.flatMap(\.words))
        let renderer = try PortraitRenderer()
        var values = Set<String>()
        for index in 0..<2000 {
            let example = try dataset.example(index)
            XCTAssert(example.attributes.targets.isEmpty)
            XCTAssertEqual(example.attributes.scene.cast, .none)
            let found = words(example.row.fullText).intersection(forbidden)
            XCTAssert(found.isEmpty, "\(example.row.fullText): \(found)")
            values.insert(example.attributes.identity.hairStyle.rawValue)
            values.insert(example.attributes.scene.clothing.rawValue)
            values.insert(example.attributes.scene.background.rawValue)
            if index < 40 {
                let labels = try renderer.render(example.attributes).labels
                XCTAssert(labels.ids.allSatisfy { $0 <= PortraitLabel.clothing.rawValue })
            }
        }
        XCTAssertEqual(values.count, HairStyle.allCases.count + Clothing.allCases.count + Background.allCases.count)
    }

    /// Every fine-tuning set's metadata.jsonl is read by the engine; its full text carries the target phrase
    /// (replacing exactly one base phrase in replace mode); labels, attributes and images agree.
    func testFinetuningSetsParseWithTheEngineAndCarryTheirTargets() throws {
        for target in PortraitTarget.allCases {
            let out = directory.appendingPathComponent(target.rawValue).path
            let dataset = try WorldDataset(kind: .finetune, target: target, count: 6, seed: 9)
            try dataset.write(to: out)
            let records = try MetadataFile.read(dataset: out)
            XCTAssertEqual(records.count, 6)
            let truths = try String(contentsOfFile: out + "/attributes.jsonl", encoding: .utf8).split(separator: "\n")
                .map { try JSONDecoder().decode(WorldDataset.GroundTruth.self, from: Data($0.utf8)) }
            let renderer = try PortraitRenderer()
            for (record, truth) in zip(records, truths) {
                let portrait = try XCTUnwrap(record.portrait)
                XCTAssertEqual(portrait.mode.rawValue, target.mode.rawValue)
                XCTAssert(record.text.contains(portrait.target), record.text)
                XCTAssertEqual(record.text, truth.caption)
                XCTAssert(target.isOn(in: truth.attributes.targets))
                XCTAssertEqual(truth.attributes.targets.active, [target])
                let baseWords = words(portrait.base)
                XCTAssert(baseWords.isDisjoint(with: target.words), portrait.base)
                if target.mode == .replace {
                    let replaces = try XCTUnwrap(portrait.replaces)
                    XCTAssert(CLIPTokenizer.phrases(in: portrait.base).contains(replaces))
                    XCTAssertFalse(record.text.contains(replaces))
                    XCTAssertEqual(CLIPTokenizer.phrases(in: record.text).count, CLIPTokenizer.phrases(in: portrait.base).count)
                } else {
                    XCTAssertNil(portrait.replaces)
                    XCTAssert(record.text.hasSuffix(", " + portrait.target))
                }
                let rendered = try renderer.render(truth.attributes)
                XCTAssertEqual(try ImageFile.read(path: out + "/" + record.fileName), rendered.image)
                XCTAssertEqual(try LabelMap.read(path: out + "/labels/" + record.fileName), rendered.labels)
                if let label = target.label { XCTAssertGreaterThan(rendered.labels.count(of: label), 0, "\(target)") }
            }
            let manifest = try JSONDecoder().decode(WorldDataset.Manifest.self,
                                                    from: Data(contentsOf: URL(fileURLWithPath: out + "/world.json")))
            XCTAssertEqual(manifest.target, target)
            XCTAssertEqual(manifest.shift, dataset.distribution.shift)
            XCTAssertGreaterThan(manifest.shift.count, 3)
            XCTAssertEqual(manifest.labels, PortraitLabel.allCases.map(\.name))
            XCTAssertEqual(manifest.labels[Int(PortraitLabel.dress.rawValue)], "dress")
        }
    }

    /// Fine-tuning sets are shifted: every image has the target's cast and only its background family.
    func testFinetuningDistributionsAreShifted() throws {
        for target in PortraitTarget.allCases {
            let dataset = try WorldDataset(kind: .finetune, target: target, count: 50, seed: 4)
            let examples = try (0..<50).map { try dataset.example($0).attributes }
            XCTAssertEqual(Set(examples.map(\.scene.background)).count, 1, "\(target)")
            XCTAssert(examples.allSatisfy { $0.scene.cast != .none && $0.scene.style == .photo })
            XCTAssert(examples.allSatisfy { target.canApply(to: $0.withoutTargets) })
        }
    }

    func testSameSeedSameDatasetBytesAndExamplesIndependentOfCount() throws {
        let small = try WorldDataset(kind: .finetune, target: .dress, count: 3, seed: 77)
        let large = try WorldDataset(kind: .finetune, target: .dress, count: 50, seed: 77)
        for index in 0..<3 { XCTAssertEqual(try small.example(index), try large.example(index)) }
        let a = directory.appendingPathComponent("a").path
        let b = directory.appendingPathComponent("b").path
        try small.write(to: a)
        try small.write(to: b)
        for file in ["metadata.jsonl", "attributes.jsonl", "world.json", "00000.png", "labels/00002.png"] {
            XCTAssertEqual(FileManager.default.contents(atPath: a + "/" + file), FileManager.default.contents(atPath: b + "/" + file), file)
        }
        XCTAssertNotEqual(try WorldDataset(kind: .pretrain, count: 1, seed: 1).example(0),
                          try WorldDataset(kind: .pretrain, count: 1, seed: 2).example(0))
    }

    /// A pre-training set with another style mix draws its styles in that proportion, says so in world.json's
    /// shift, and stays target-free; pre-training's own mix is pre-training (same examples, no shift).
    func testStyleMixesDrawTheirShares() throws {
        let mixed = try WorldDataset(kind: .pretrain, count: 3000, seed: 3, styles: [.photo, .photo, .cartoon])
        let cartoons = try (0..<3000).filter { try mixed.example($0).attributes.scene.style == .cartoon }.count
        XCTAssertEqual(Double(cartoons) / 3000, 1.0 / 3, accuracy: 0.03)
        XCTAssertEqual(mixed.manifest.shift, ["style: 2 photos to 1 cartoon (pre-training: 3 photos to 1 cartoon)"])
        XCTAssert(try (0..<200).allSatisfy { try mixed.example($0).attributes.targets.isEmpty })
        let same = try WorldDataset(kind: .pretrain, count: 50, seed: 3, styles: WorldDistribution.pretraining.styles)
        let plain = try WorldDataset(kind: .pretrain, count: 50, seed: 3)
        XCTAssertEqual(same.manifest, plain.manifest)
        for index in 0..<50 { XCTAssertEqual(try same.example(index), try plain.example(index)) }
        XCTAssertEqual(try WorldDataset(kind: .pretrain, count: 1, seed: 0, styles: [.cartoon]).manifest.shift,
                       ["style: 1 cartoon (pre-training: 3 photos to 1 cartoon)"])
    }

    func testBadDatasetRequestsWriteNothing() throws {
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, count: 2, seed: 0, styles: [])) { XCTAssert("\($0)".contains("at least one style"), "\($0)") }
        XCTAssertThrowsError(try WorldDataset(kind: .finetune, target: .hat, count: 2, seed: 0, styles: [.photo]))
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, target: .hat, count: 2, seed: 0))
        XCTAssertThrowsError(try WorldDataset(kind: .finetune, count: 2, seed: 0)) { XCTAssert("\($0)".contains("hat, sunglasses"), "\($0)") }
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, count: 0, seed: 0))
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, count: 2, seed: 0, size: 4))
        let existing = directory.appendingPathComponent("exists")
        try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: true)
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, count: 2, seed: 0).write(to: existing.path)) {
            XCTAssert("\($0)".contains("already exists"), "\($0)")
        }
        XCTAssertThrowsError(try WorldDataset(kind: .pretrain, count: 2, seed: 0).write(to: directory.path + "/none/set"))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["exists"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: existing.path), [])
    }
}
