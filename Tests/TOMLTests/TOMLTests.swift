import Foundation
import TOML
import XCTest

/// The TOML parser against Python's tomllib (tools/reference/toml_fixtures.py): hand-written documents, the
/// inputs that abort toml++ 3.4, and 3000 seeded mutations, each with tomllib's verdict and value.
final class TOMLTests: XCTestCase {
    struct Case {
        var toml: String
        var valid: Bool
        var value: Any?
    }

    func cases() throws -> [Case] {
        let path = (#filePath as NSString).deletingLastPathComponent + "/Fixtures/tomllib_cases.json"
        let root = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        let items = try XCTUnwrap(root["cases"] as? [[String: Any]])
        return try items.map { Case(toml: try XCTUnwrap($0["toml"] as? String), valid: try XCTUnwrap($0["valid"] as? Bool), value: $0["value"]) }
    }

    /// toml-test's tagged form, as the fixture writes it (date-times by kind only).
    func tagged(_ value: TOMLValue) -> Any {
        func scalar(_ type: String, _ text: String) -> [String: String] { ["type": type, "value": text] }
        switch value {
        case .string(let s): return scalar("string", s)
        case .integer(let i): return scalar("integer", String(i))
        case .float(let d):
            return scalar("float", d.isNaN ? "nan" : d == .infinity ? "inf" : d == -.infinity ? "-inf" : pythonRepr(d))
        case .boolean(let b): return scalar("bool", b ? "true" : "false")
        case .datetime: return scalar("datetime", "")
        case .array(let items): return items.map(tagged)
        case .table(let entries): return entries.mapValues(tagged)
        }
    }

    /// Python's repr of a float (shortest round-trip digits; exponent form outside 1e-4 ..< 1e16).
    func pythonRepr(_ d: Double) -> String {
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        let magnitude = abs(d)
        if magnitude >= 1e16 || magnitude < 1e-4 {
            // Swift: "5e+22" / "6.626e-34"; Python: "5e+22" / "6.626e-34" (two-digit exponents at least).
            var text = "\(d)"
            if let e = text.firstIndex(of: "e") {
                var exponent = String(text[text.index(after: e)...])
                let sign = exponent.hasPrefix("-") ? "-" : "+"
                exponent = exponent.trimmingCharacters(in: CharacterSet(charactersIn: "+-"))
                if exponent.count < 2 { exponent = "0" + exponent }
                text = String(text[..<e]) + "e" + sign + exponent
            }
            return text
        }
        return "\(d)"
    }

    func testAgreesWithTomllib() throws {
        let all = try cases()
        XCTAssertGreaterThan(all.count, 3000)
        var disagreements: [String] = []
        for c in all {
            do {
                let table = try TOML.parse(c.toml)
                if !c.valid {
                    disagreements.append("accepted, tomllib rejects: \(c.toml.debugDescription)")
                } else if !NSDictionary(dictionary: tagged(.table(table)) as! [String: Any]).isEqual(to: c.value as! [String: Any]) {
                    disagreements.append("different value: \(c.toml.debugDescription)\n  ours: \(tagged(.table(table)))\n  tomllib: \(c.value!)")
                }
            } catch let error as TOMLError {
                if c.valid { disagreements.append("rejected (\(error)), tomllib accepts: \(c.toml.debugDescription)") }
            }
        }
        XCTAssert(disagreements.isEmpty, "\(disagreements.count) of \(all.count) cases:\n" + disagreements.prefix(30).joined(separator: "\n"))
    }

    func testErrorsNameLineAndColumn() {
        func error(_ text: String) -> TOMLError? {
            do { _ = try TOML.parse(text); return nil } catch { return error as? TOMLError }
        }
        XCTAssertEqual(error("a = 1\n[[[1]]]")?.line, 2)
        XCTAssertEqual(error("a = 1\nb = [ } ]").map { [$0.line, $0.column] }, [2, 7])
        XCTAssertEqual(error("x = 1\nx = 2").map { [$0.line, $0.column] }, [2, 1])
        XCTAssertEqual(error("\"é\" = \"ü\" z")?.column, 11, "columns count characters, not bytes")
        XCTAssert(error("a = \"\\q\"")?.message.contains("unknown escape") == true)
        XCTAssert(error("[a]\n[a]")?.message.contains("defined twice") == true)
    }

    func testValues() throws {
        let table = try TOML.parse("""
            \u{FEFF}s = "a\\tb"
            i = -0x10
            """.replacingOccurrences(of: "-0x10", with: "0x10"))
        XCTAssertEqual(table["s"], .string("a\tb"), "a byte-order mark is skipped")
        XCTAssertEqual(table["i"], .integer(16))
        let nested = try TOML.parse("[a.b]\nc = [1, 2.5, true, \"x\", {d = 1979-05-27}]")
        XCTAssertEqual(nested["a"], .table(["b": .table(["c": .array([.integer(1), .float(2.5), .boolean(true), .string("x"),
                                                                     .table(["d": .datetime("1979-05-27")])])])]))
    }

    /// Deep nesting is an error, not a stack overflow.
    func testDeepNestingIsAnError() {
        XCTAssertThrowsError(try TOML.parse("a = " + String(repeating: "[", count: 100_000)))
        XCTAssertThrowsError(try TOML.parse("a = " + String(repeating: "{b = ", count: 100_000)))
        XCTAssertNoThrow(try TOML.parse("a = " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100)))
    }
}
