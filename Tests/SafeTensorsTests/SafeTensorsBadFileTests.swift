import Foundation
import SafeTensors
import Torch
import XCTest

/// Every malformed file gives an error naming the file (and the tensor where there is one), never a crash.
final class SafeTensorsBadFileTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("spf-stbad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Writes a file with the given JSON header (unpadded) and data bytes.
    private func write(_ name: String, header: String, data: [UInt8] = [], headerLength: UInt64? = nil) throws -> String {
        let path = directory.appendingPathComponent(name).path
        var bytes = [UInt8]()
        let json = Array(header.utf8)
        withUnsafeBytes(of: (headerLength ?? UInt64(json.count)).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: json)
        bytes.append(contentsOf: data)
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func assertFails(_ path: String, tensor: String? = nil, mentioning words: [String],
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.load(path), file: file, line: line) { error in
            guard let error = error as? SafeTensorsError else {
                return XCTFail("not a SafeTensorsError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(error.path, path, file: file, line: line)
            XCTAssertEqual(error.tensor, tensor, "\(error)", file: file, line: line)
            let text = "\(error)"
            for word in words { XCTAssert(text.contains(word), "'\(word)' not in: \(text)", file: file, line: line) }
        }
    }

    func testTruncatedFileShorterThanLengthField() throws {
        let path = directory.appendingPathComponent("short.safetensors").path
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        assertFails(path, mentioning: ["truncated", "3 bytes"])
    }

    func testEmptyFile() throws {
        let path = directory.appendingPathComponent("empty.safetensors").path
        try Data().write(to: URL(fileURLWithPath: path))
        assertFails(path, mentioning: ["truncated"])
    }

    func testTruncatedDataSection() throws {
        let header = #"{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}}"#
        let path = try write("trunc.safetensors", header: header, data: [UInt8](repeating: 0, count: 10))
        assertFails(path, tensor: "w", mentioning: ["beyond the data section", "10 bytes"])
    }

    func testHeaderLengthBeyondFile() throws {
        let path = try write("len.safetensors", header: "{}", headerLength: 4096)
        assertFails(path, mentioning: ["header length 4096", "beyond the end"])
    }

    func testHugeHeaderLength() throws {
        let path = try write("huge.safetensors", header: "{}", headerLength: UInt64.max)
        assertFails(path, mentioning: ["exceeds"])
    }

    func testOverlappingOffsets() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#
        let path = try write("overlap.safetensors", header: header, data: [UInt8](repeating: 0, count: 12))
        assertFails(path, tensor: "b", mentioning: ["overlap", "'a'"])
    }

    func testGapBetweenTensors() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        let path = try write("gap.safetensors", header: header, data: [UInt8](repeating: 0, count: 12))
        assertFails(path, tensor: "b", mentioning: ["gap"])
    }

    func testTrailingBytes() throws {
        let header = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let path = try write("trail.safetensors", header: header, data: [UInt8](repeating: 0, count: 9))
        assertFails(path, mentioning: ["9 bytes", "cover 4"])
    }

    func testOutOfRangeAndReversedOffsets() throws {
        let far = #"{"a":{"dtype":"U8","shape":[4],"data_offsets":[100,104]}}"#
        assertFails(try write("far.safetensors", header: far, data: [0, 0, 0, 0]), tensor: "a", mentioning: ["beyond"])
        let reversed = #"{"a":{"dtype":"U8","shape":[0],"data_offsets":[4,0]}}"#
        assertFails(try write("rev.safetensors", header: reversed, data: [0, 0, 0, 0]), tensor: "a",
                    mentioning: ["reversed"])
    }

    func testUnknownDType() throws {
        let header = #"{"q":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#
        let path = try write("dtype.safetensors", header: header, data: [0, 0, 0, 0])
        assertFails(path, tensor: "q", mentioning: ["unknown dtype", "F8_E4M3"])
    }

    func testShapeDoesNotMatchByteCount() throws {
        let header = #"{"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,20]}}"#
        let path = try write("shape.safetensors", header: header, data: [UInt8](repeating: 0, count: 20))
        assertFails(path, tensor: "w", mentioning: ["[3, 2]", "24 bytes", "give 20"])
    }

    func testInvalidJSON() throws {
        let path = try write("json.safetensors", header: #"{"w": {"dtype": "F32", "#)
        assertFails(path, mentioning: ["not valid JSON"])
    }

    func testMalformedEntries() throws {
        assertFails(try write("notobj.safetensors", header: "[1,2]"), mentioning: ["not a JSON object"])
        let badShape = #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#
        assertFails(try write("neg.safetensors", header: badShape), tensor: "w", mentioning: ["shape"])
        let fractional = #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,0]}}"#
        assertFails(try write("frac.safetensors", header: fractional), tensor: "w", mentioning: ["shape"])
        let noOffsets = #"{"w":{"dtype":"F32","shape":[1]}}"#
        assertFails(try write("nooff.safetensors", header: noOffsets), tensor: "w", mentioning: ["data_offsets"])
        let badMeta = #"{"__metadata__":{"k":1}}"#
        assertFails(try write("meta.safetensors", header: badMeta), mentioning: ["__metadata__", "'k'"])
    }

    func testMissingFileAndDirectory() throws {
        let missing = directory.appendingPathComponent("nope.safetensors").path
        assertFails(missing, mentioning: ["cannot open"])
        assertFails(directory.path, mentioning: ["not a regular file"])
    }

    func testMissingTensorNamesFileAndKey() throws {
        let path = directory.appendingPathComponent("ok.safetensors").path
        try SafeTensors.save(["a": try Tensor.zeros([1])], to: path)
        XCTAssertThrowsError(try SafeTensorsFile(path: path).tensor("b")) { error in
            XCTAssertEqual("\(error)", "\(path): tensor 'b': no such tensor in the file")
        }
    }
}
