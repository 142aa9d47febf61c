import Foundation
import InputChecks
import XCTest

/// The config decoding layer: syntax errors with positions, type and range errors naming the key and the value.
final class ConfigDecodingTests: XCTestCase {
    struct Sample: Decodable {
        var count: Int
        var channels: [Int]?
        var eps: Double?
        var name: String?
        var flag: Bool?

        enum CodingKeys: String, CodingKey { case count, channels = "block_out_channels", eps = "norm_eps", name, flag }
    }

    private func message(_ json: String, file: String? = "/m/unet/config.json") -> String {
        do {
            _ = try ConfigFile.decode(Sample.self, from: Array(json.utf8), file: file)
            return "decoded"
        } catch {
            return "\(error)"
        }
    }

    func testIntegersWrittenAsFractionsOrTooLargeNameTheKey() {
        XCTAssertEqual(message(#"{"count": 4.5}"#), "/m/unet/config.json: count: expected an integer, got 4.5")
        XCTAssertEqual(message(#"{"count": 9223372036854775808}"#),
                       "/m/unet/config.json: count: expected an integer between \(Int.min) and \(Int.max), got 9223372036854775808")
        XCTAssertEqual(message(#"{"count": 1, "block_out_channels": [32, "x"]}"#),
                       "/m/unet/config.json: block_out_channels[1]: expected an integer, got \"x\"")
        XCTAssertEqual(message(#"{"count": 1, "norm_eps": 1e400}"#),
                       "/m/unet/config.json: norm_eps: expected a number within double precision's range, got 1e400")
        XCTAssertEqual(message(#"{"count": 1, "flag": 1}"#), "/m/unet/config.json: flag: expected true or false, got 1")
        XCTAssertEqual(message(#"{"count": 1, "name": 5}"#), "/m/unet/config.json: name: expected a string, got 5")
        XCTAssertEqual(message(#"{}"#), "/m/unet/config.json: count: missing (this key is required)")
        XCTAssertEqual(message(#"{"count": 4.0}"#), "decoded")
    }

    func testSyntaxErrorsHaveLineAndColumn() {
        XCTAssertEqual(message("{\n  \"count\": 1,\n}"), "/m/unet/config.json: not valid JSON: expected a string key at line 3, column 1")
        XCTAssertEqual(message(#"{"count": NaN}"#), "/m/unet/config.json: not valid JSON: unexpected character 'N' at line 1, column 11")
        XCTAssertEqual(message("[1]"), "/m/unet/config.json: expected an object, got [1]")
        XCTAssertEqual(message(""), "/m/unet/config.json: not valid JSON: unexpected end of the text at line 1, column 1")
        XCTAssertEqual(message(String(repeating: "[", count: 10_000)).contains("nested deeper than 256"), true)
    }

    func testChecksNameKeyAndExpectation() {
        XCTAssertThrowsError(try ConfigCheck.count(0, "norm_num_groups", in: 1...65536)) {
            XCTAssertEqual("\($0)", "norm_num_groups: expected a positive integer of at most 65536, got 0")
        }
        XCTAssertThrowsError(try ConfigCheck.open(-1, "beta_start", 0, 1)) {
            XCTAssertEqual("\($0)", "beta_start: expected a number between 0.0 and 1.0 (exclusive), got -1.0")
        }
        XCTAssertThrowsError(try ConfigCheck.finite(0, "scaling_factor", positive: true)) {
            XCTAssertEqual("\($0)", "scaling_factor: expected a number greater than 0, got 0.0")
        }
    }

    func testJSONStrings() throws {
        XCTAssertEqual(try JSONValue(parsing: Array(#""a\u00e9\ud83d\ude00\n""#.utf8)), .string("aé😀\n"))
        XCTAssertThrowsError(try JSONValue(parsing: Array(#""\ud83d""#.utf8)))
        XCTAssertThrowsError(try JSONValue(parsing: [0x22, 0xFF, 0x22]))
        XCTAssertEqual(try JSONValue(parsing: Array(#"{"a": 1, "a": 2}"#.utf8))["a"], .number("2"))
    }

    /// A FIFO must be refused from stat, before open could block.
    func testFIFOIsRefusedWithoutBlocking() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fifo-\(UUID().uuidString).json").path
        XCTAssertEqual(mkfifo(path, 0o600), 0)
        defer { unlink(path) }
        XCTAssertThrowsError(try ConfigFile.load(Sample.self, path: path)) {
            XCTAssertEqual("\($0)", "\(path): is a FIFO (named pipe), not a regular file")
        }
        XCTAssertThrowsError(try ConfigFile.load(Sample.self, path: "/nonexistent/config.json")) {
            XCTAssertEqual("\($0)", "/nonexistent/config.json: no such file")
        }
    }
}
