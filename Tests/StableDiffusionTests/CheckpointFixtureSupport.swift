import Foundation
import SafeTensors
import Torch
import ParityTesting
import XCTest
@testable import StableDiffusion

/// Reference fixtures written by tools/reference/checkpoint_fixtures.py and pipeline_fixtures.py
/// (diffusers 0.42.1), and the machine that wrote them; tests never run Python.
let referenceFixtures = FixtureSet()

extension FixtureSet {
    /// A fresh empty folder under the system temporary directory.
    func temporaryFolder() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }
}

/// Asserts the same key set and, per key, the same dtype, shape and bytes: conversion only moves and casts
/// values (IEEE casts are exact), so this holds on every CPU (`Budget.exact` for whole state dicts).
func assertIdentical(_ actual: [String: Tensor], _ expected: [String: Tensor], _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) throws {
    let missing = Set(expected.keys).subtracting(actual.keys).sorted()
    let extra = Set(actual.keys).subtracting(expected.keys).sorted()
    XCTAssert(missing.isEmpty, "\(label): missing \(missing.prefix(5)) (\(missing.count))", file: file, line: line)
    XCTAssert(extra.isEmpty, "\(label): unexpected \(extra.prefix(5)) (\(extra.count))", file: file, line: line)
    var differing: [String] = []
    for (key, want) in expected {
        guard let got = actual[key] else { continue }
        let sameLayout = got.dtype == want.dtype && got.shape == want.shape
        let sameBytes = try sameLayout && got.bytes() == want.bytes()
        if !sameBytes {
            differing.append("\(key) (\(got.dtype) \(got.shape) vs \(want.dtype) \(want.shape))")
        }
    }
    XCTAssert(differing.isEmpty, "\(label): \(differing.count) tensors differ, e.g. \(differing.sorted().prefix(3))",
              file: file, line: line)
}

/// Asserts `body` throws a CheckpointError equal to `expected`.
func assertThrows<T>(_ expected: CheckpointErrorMatcher, _ body: () throws -> T,
                     file: StaticString = #filePath, line: UInt = #line) {
    do {
        _ = try body()
        XCTFail("no error thrown; expected \(expected)", file: file, line: line)
    } catch {
        XCTAssert(expected.matches(error), "unexpected error: \(error); expected \(expected)", file: file, line: line)
    }
}

/// What an expected error must look like: its case, and text its description must contain.
struct CheckpointErrorMatcher: CustomStringConvertible {
    let name: String
    let test: (Error) -> Bool
    let contains: [String]

    var description: String { "\(name) mentioning \(contains)" }

    func matches(_ error: Error) -> Bool {
        test(error) && contains.allSatisfy { "\(error)".contains($0) }
    }
}

extension CheckpointErrorMatcher {
    static func unknownKeys(_ text: String...) -> Self {
        Self(name: "unknownKeys", test: { if case CheckpointError.unknownKeys = $0 { true } else { false } }, contains: text)
    }
    static func missingKeys(_ text: String...) -> Self {
        Self(name: "missingKeys", test: { if case CheckpointError.missingKeys = $0 { true } else { false } }, contains: text)
    }
    static func missingFile(_ text: String...) -> Self {
        Self(name: "missingFile", test: { if case CheckpointError.missingFile = $0 { true } else { false } }, contains: text)
    }
    static func missingFolder(_ text: String...) -> Self {
        Self(name: "missingFolder", test: { if case CheckpointError.missingFolder = $0 { true } else { false } }, contains: text)
    }
    static func missingComponent(_ text: String...) -> Self {
        Self(name: "missingComponent", test: { if case CheckpointError.missingComponent = $0 { true } else { false } },
             contains: text)
    }
    static func pickleWeights(_ text: String...) -> Self {
        Self(name: "pickleWeights", test: { if case CheckpointError.pickleWeights = $0 { true } else { false } },
             contains: text)
    }
    static func ambiguousVariants(_ text: String...) -> Self {
        Self(name: "ambiguousVariants", test: { if case CheckpointError.ambiguousVariants = $0 { true } else { false } },
             contains: text)
    }
    static func invalidShardIndex(_ text: String...) -> Self {
        Self(name: "invalidShardIndex", test: { if case CheckpointError.invalidShardIndex = $0 { true } else { false } },
             contains: text)
    }
    static func invalidTensor(_ text: String...) -> Self {
        Self(name: "invalidTensor", test: { if case CheckpointError.invalidTensor = $0 { true } else { false } },
             contains: text)
    }
    static func invalidJSON(_ text: String...) -> Self {
        Self(name: "invalidJSON", test: { if case CheckpointError.invalidJSON = $0 { true } else { false } }, contains: text)
    }
}
