import Foundation
import XCTest
@testable import Training

/// Table headers that would abort toml++ 3.4 (marzer/tomlplusplus#301) get a normal error; valid TOML with
/// brackets in strings, comments, arrays and inline tables is not flagged.
final class TOMLHeaderCheckTests: XCTestCase {
    func finding(_ text: String) -> TOMLHeaderCheck.Finding? { TOMLHeaderCheck.firstMalformedHeader(in: text) }

    func testHeadersThatWouldAbortAreFound() {
        // The crash CI's fuzzer found, the upstream report's cases, and the single-bracket forms.
        for (text, line, column, character) in [
            ("[[[1]]]", 1, 3, "["), ("[[[a]]]", 1, 3, "["), ("[[[]]", 1, 3, "["), ("[[=", 1, 3, "="),
            ("[=]", 1, 2, "="), ("[#x]", 1, 2, "#"), ("[ .a]", 1, 3, "."), ("[[ {", 1, 4, "{"),
            ("a = 1\n  [,]\n", 2, 4, ","), ("\u{FEFF}[=]", 1, 2, "="),
            ("a = [\n  1,\n]\n[=]", 4, 2, "="), ("s = \"\"\"\n[ok]\n\"\"\"\n[=]", 4, 2, "="),
            ("a = 'x' # [\n[@]", 2, 2, "@"), ("[é]", 1, 2, "é"),
        ] as [(String, Int, Int, Unicode.Scalar)] {
            XCTAssertEqual(finding(text), .init(line: line, column: column, character: character), text.debugDescription)
        }
    }

    func testValidTOMLAndErrorsTOMLPlusPlusReportsAreNotFlagged() {
        for text in [
            "[a]\nb = 1\n[[c]]\n[\"d e\".f]\n['g']\n[ h . i ]\n[[ j ]]",
            "a = [\n  [1, 2],\n  [[3]],\n  [[[4]]],\n]\n",                 // nested arrays on their own lines
            "a = { b = [\n[=]] }",                                         // inside an inline table's array
            "s = \"\"\"\n[=]\n\"\"\"", "s = '''\n[=]\n'''", "s = '''x''''\n[a]",   // multi-line strings
            "s = \"\\\"[=]\"\n[a]", "# [=]\n[a]", "k = \"[\"\n[a]",          // escapes, comments, strings
            "[]", "[ ]", "[[]]", "[ [a]]", "[", "[[", "[ ",                  // toml++ reports these itself
        ] {
            XCTAssertNil(finding(text), text.debugDescription)
            // toml++ then parses it or reports an error; an abort here would end the test process.
            _ = try? ConfigResolution.parseTOML(text, source: "t.toml")
        }
    }

    /// Through the real entry point: a clear error naming the file, line and column, never an abort.
    func testResolveReportsTheHeader() throws {
        let folder = try temporaryFolder(self, "toml")
        let path = (folder as NSString).appendingPathComponent("run.toml")
        try "model = \"m\"\n[[[1]]]\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ConfigResolution.resolve(file: path, overrides: [])) { error in
            let text = "\(error)"
            for part in [path, "line 2, column 3", "table header", "'['"] {
                XCTAssert(text.contains(part), "'\(part)' not in: \(text)")
            }
        }
    }
}
