import XCTest

@testable import PortraitWorld

/// Hard negatives for CLIP: the same portrait with one captioned attribute changed, the same wording.
final class CounterpartTests: XCTestCase {
    /// Fields of the attributes that differ between two portraits, by `AttributeClass` name.
    func differences(_ a: PortraitAttributes, _ b: PortraitAttributes) -> Set<String> {
        let x = AttributeClass.indices(of: a), y = AttributeClass.indices(of: b)
        return Set(AttributeClass.all.indices.filter { x[$0] != y[$0] }.map { AttributeClass.all[$0].name })
    }

    func testCounterpartChangesOneCaptionedAttributeAndOnlyItsPhrase() throws {
        let dataset = try WorldDataset(kind: .pretrain, count: 400, seed: 5)
        var seen = Set<String>()
        for index in 0..<400 {
            let example = try dataset.example(index)
            let counterpart = try dataset.counterpart(index)
            seen.insert(counterpart.changed)
            let changed = differences(example.attributes, counterpart.attributes)
            let roles = counterpart.caption.phrases.map(\.role)
            XCTAssertEqual(roles, example.caption.phrases.map(\.role), "same phrases in the same order")
            let differing = zip(example.caption.phrases, counterpart.caption.phrases).filter { $0.text != $1.text }.map(\.0.role)
            if counterpart.changed == "color_binding" {
                XCTAssertEqual(changed, ["clothing_color", "background_color"])
                XCTAssertEqual(counterpart.attributes.scene.clothingColor.rawValue, example.attributes.scene.backgroundColor.rawValue)
                XCTAssertEqual(counterpart.attributes.scene.backgroundColor.rawValue, example.attributes.scene.clothingColor.rawValue)
                XCTAssertEqual(Set(differing), [.clothing, .background])
            } else {
                XCTAssertEqual(changed, [counterpart.changed], "example \(index)")
                XCTAssertEqual(differing.count, 1, "\(example.caption.text) | \(counterpart.caption.text)")
            }
            XCTAssertNotEqual(counterpart.caption.text, example.caption.text)
            XCTAssertEqual(counterpart.attributes.targets, example.attributes.targets)
        }
        XCTAssertEqual(seen, Set(WorldDataset.counterpartChanges(.pretraining).map(\.name)), "every kind of change occurs")
    }

    func testCounterpartsAreDeterministicAndPretrainingOnly() throws {
        let dataset = try WorldDataset(kind: .pretrain, count: 10, seed: 9)
        let again = try WorldDataset(kind: .pretrain, count: 1000, seed: 9)
        for index in 0..<10 {
            let a = try dataset.counterpart(index), b = try again.counterpart(index)
            XCTAssertEqual(a.attributes, b.attributes)
            XCTAssertEqual(a.caption, b.caption)
        }
        let finetune = try WorldDataset(kind: .finetune, target: .hat, count: 10, seed: 9)
        XCTAssertThrowsError(try finetune.counterpart(0))
    }
}
