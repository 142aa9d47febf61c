import Foundation
import XCTest

/// A fresh folder per test, removed afterwards.
class TemporaryDirectoryTestCase: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-runlogs-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    func path(_ name: String) -> String { URL(fileURLWithPath: directory).appendingPathComponent(name).path }

    func text(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    /// A location no one can create a folder in, even root: below a regular file.
    func unwritableLocation() throws -> String {
        let file = path("plain-file")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        return file + "/logs"
    }

    func assertThrowsNaming(_ path: String, _ words: [String] = [], file: StaticString = #filePath, line: UInt = #line,
                            _ body: () throws -> Void) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssert(text.contains(path), "'\(path)' not in: \(text)", file: file, line: line)
            for word in words { XCTAssert(text.contains(word), "'\(word)' not in: \(text)", file: file, line: line) }
        }
    }
}
