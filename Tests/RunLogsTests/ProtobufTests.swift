@testable import RunLogs
import XCTest

/// The varint and field encoding the hand-written Event encoder rests on.
final class ProtobufTests: XCTestCase {
    private func varint(_ value: UInt64) -> [UInt8] {
        var writer = ProtobufWriter()
        writer.varint(value)
        return writer.bytes
    }

    private func readVarint(_ bytes: [UInt8]) throws -> UInt64 {
        var reader = ProtobufReader(bytes[...])
        return try reader.varint()
    }

    func testVarintEncodings() throws {
        XCTAssertEqual(varint(0), [0x00])
        XCTAssertEqual(varint(1), [0x01])
        XCTAssertEqual(varint(127), [0x7F])
        XCTAssertEqual(varint(128), [0x80, 0x01])
        XCTAssertEqual(varint(300), [0xAC, 0x02])  // the protobuf documentation's example
        XCTAssertEqual(varint(UInt64(Int64.max)), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F])
        XCTAssertEqual(varint(UInt64.max), [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        // int64 -1 is ten bytes on the wire, as protobuf writes it.
        XCTAssertEqual(varint(UInt64(bitPattern: -1)).count, 10)
    }

    func testVarintRoundTrips() throws {
        var values: [UInt64] = [0, 1, 127, 128, 255, 256, 16383, 16384, UInt64(UInt32.max), UInt64(Int64.max), UInt64.max]
        for shift in 0..<64 { values += [UInt64(1) << shift, (UInt64(1) << shift) - 1] }
        for value in values { XCTAssertEqual(try readVarint(varint(value)), value) }
    }

    func testMalformedVarints() {
        XCTAssertThrowsError(try readVarint([])) { XCTAssert("\($0)".contains("truncated")) }
        XCTAssertThrowsError(try readVarint([0x80, 0x80])) { XCTAssert("\($0)".contains("truncated")) }
        // Ten bytes whose last one carries more than the 64th bit.
        XCTAssertThrowsError(try readVarint([UInt8](repeating: 0xFF, count: 9) + [0x02])) { XCTAssert("\($0)".contains("overflows")) }
        XCTAssertThrowsError(try readVarint([UInt8](repeating: 0x80, count: 10) + [0x00])) { XCTAssert("\($0)".contains("overflows") || "\($0)".contains("longer")) }
    }

    func testFieldsReadBackAndUnknownOnesAreSkipped() throws {
        var writer = ProtobufWriter()
        writer.double(1, 1.5)
        writer.int64(2, -3)
        writer.string(3, "tag")
        writer.float(9, 0.25)
        var reader = ProtobufReader(writer.bytes[...])
        guard case (1, .fixed64(let bits))? = try reader.next() else { return XCTFail() }
        XCTAssertEqual(Double(bitPattern: bits), 1.5)
        guard case (2, .varint(let step))? = try reader.next() else { return XCTFail() }
        XCTAssertEqual(Int64(bitPattern: step), -3)
        guard case (3, .bytes(let text))? = try reader.next() else { return XCTFail() }
        XCTAssertEqual(String(decoding: text, as: UTF8.self), "tag")
        guard case (9, .fixed32(let float))? = try reader.next() else { return XCTFail() }
        XCTAssertEqual(Float(bitPattern: float), 0.25)
        XCTAssertNil(try reader.next())
    }

    func testLengthBeyondTheMessageIsRejected() {
        var reader = ProtobufReader([0x1A, 0x05, 0x61][...])  // field 3, 5 bytes announced, 1 present
        XCTAssertThrowsError(try reader.next()) { XCTAssert("\($0)".contains("claims 5 bytes")) }
    }
}
