import Foundation
import RunLogs
import XCTest

/// Truncated and corrupted event files are errors that name the file and the bad record's offset.
final class TensorBoardReaderTests: TemporaryDirectoryTestCase {
    private var original: [UInt8] = []
    /// Where each record starts, and the file size at the end.
    private var recordStarts: [Int] = []

    override func setUpWithError() throws {
        try super.setUpWithError()
        let writer = try TensorBoardEventWriter(directory: directory)
        for step in 1...3 { try writer.log(step: step, scalars: ["loss": 1 / Double(step), "lr": 1e-4], wallTime: 10 + Double(step)) }
        try writer.close()
        original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: writer.path)))
        var position = 0
        while position < original.count {
            recordStarts.append(position)
            let length = (0..<8).reduce(0) { $0 | Int(original[position + $1]) << (8 * $1) }
            position += 16 + length
        }
        XCTAssertEqual(position, original.count)
        XCTAssertEqual(recordStarts.count, 5)  // file_version, START, 3 summaries
    }

    private func write(_ bytes: [UInt8]) throws -> String {
        let file = path("events.out.tfevents.test")
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return file
    }

    func testEveryTruncationIsDetectedOrEndsAtARecord() throws {
        for size in 0..<original.count {
            let file = try write(Array(original[..<size]))
            if let whole = recordStarts.firstIndex(of: size) {
                // Cut exactly between records: nothing to detect, the first records read back.
                XCTAssertEqual(try TensorBoardEventReader(path: file).events.count, whole)
            } else {
                let record = recordStarts.last { $0 < size }!
                assertThrowsNaming(file, ["at byte \(record):", "truncated"]) { _ = try TensorBoardEventReader(path: file) }
            }
        }
    }

    func testEveryCorruptedByteIsDetected() throws {
        for index in original.indices {
            var bytes = original
            bytes[index] ^= 0x5A
            let file = try write(bytes)
            let record = recordStarts.last { $0 <= index }!
            // A corrupted length may also announce more bytes than there are: then it reads as truncated.
            XCTAssertThrowsError(try TensorBoardEventReader(path: file), "byte \(index)") { error in
                let text = "\(error)"
                XCTAssert(text.contains(file) && text.contains("at byte \(record):"), "byte \(index): \(text)")
                XCTAssert(text.contains("CRC") || text.contains("truncated"), "byte \(index): \(text)")
            }
        }
    }

    func testValidFramingAroundAnInvalidEventIsReported() throws {
        // A record whose CRCs are right but whose data is not a protobuf message (wire type 7).
        let data: [UInt8] = [0x0F]
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(1).littleEndian) { Array($0) }
        record += length
        withUnsafeBytes(of: CRC32C.maskedChecksum(length).littleEndian) { record += $0 }
        record += data
        withUnsafeBytes(of: CRC32C.maskedChecksum(data).littleEndian) { record += $0 }
        let file = try write(original + record)
        assertThrowsNaming(file, ["at byte \(original.count):", "not a valid Event"]) { _ = try TensorBoardEventReader(path: file) }
    }

    func testMissingFile() {
        let missing = path("nope")
        assertThrowsNaming(missing, ["cannot read"]) { _ = try TensorBoardEventReader(path: missing) }
    }
}
