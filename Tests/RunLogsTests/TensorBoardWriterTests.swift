import Foundation
import RunLogs
import XCTest

final class TensorBoardWriterTests: TemporaryDirectoryTestCase {
    func testWritesReadableEventFile() throws {
        let writer = try TensorBoardEventWriter(directory: directory)
        try writer.log(step: 1, scalars: ["loss": 0.5, "lr": 1e-4], wallTime: 1000)
        try writer.log(step: 2, scalars: ["loss": 0.25, "lr": 1e-4, "grad_norm": .nan], wallTime: 1001)
        try writer.close()

        let name = URL(fileURLWithPath: writer.path).lastPathComponent
        XCTAssert(name.hasPrefix("events.out.tfevents."), name)
        XCTAssertEqual(name.split(separator: ".").count, 7, name)  // events.out.tfevents.<s>.<host>.<pid>.0
        XCTAssertEqual(try TensorBoardEventReader.eventFiles(in: directory), [writer.path])

        let reader = try TensorBoardEventReader(path: writer.path)
        XCTAssertEqual(reader.events.count, 4)
        XCTAssertEqual(reader.events[0].payload, .fileVersion("brain.Event:2"))
        XCTAssertEqual(reader.events[1].payload, .sessionLog(status: TensorBoardEvent.sessionStart))
        XCTAssertEqual(reader.events[1].step, 0)
        let entries = reader.entries
        XCTAssertEqual(entries.map(\.step), [1, 2])
        XCTAssertEqual(entries.map(\.wallTime), [1000, 1001])
        XCTAssertEqual(entries[0].scalars, ["loss": 0.5, "lr": Float(1e-4)])
        XCTAssert(entries[1].scalars["grad_norm"]!.isNaN)
    }

    func testResumeWritesStartAfterTheCheckpointStep() throws {
        try TensorBoardEventWriter(directory: directory).close()
        let resumed = try TensorBoardEventWriter(directory: directory, resumeFrom: 5)
        try resumed.close()
        let files = try TensorBoardEventReader.eventFiles(in: directory)
        XCTAssertEqual(files.count, 2)
        XCTAssertEqual(files.last, resumed.path, "the resumed file must be read last")
        let start = try TensorBoardEventReader(path: resumed.path).events[1]
        XCTAssertEqual(start.payload, .sessionLog(status: TensorBoardEvent.sessionStart))
        XCTAssertEqual(start.step, 6)
    }

    func testInvalidCallsAreRejected() throws {
        let writer = try TensorBoardEventWriter(directory: directory)
        assertThrowsNaming(writer.path, ["negative"]) { try writer.log(step: -1, ["loss": 1]) }
        assertThrowsNaming(writer.path, ["empty name"]) { try writer.log(step: 1, ["": 1]) }
        assertThrowsNaming(writer.path, ["reserved"]) { try writer.log(step: 1, ["step": 1]) }
        assertThrowsNaming(writer.path, ["wall time"]) { try writer.log(step: 1, scalars: ["a": 1], wallTime: .nan) }
        try writer.close()
        try writer.close()  // a second close does nothing
        assertThrowsNaming(writer.path, ["closed"]) { try writer.log(step: 1, ["loss": 1]) }
        XCTAssertEqual(try TensorBoardEventReader(path: writer.path).entries, [])
        assertThrowsNaming(directory, ["out of range"]) { _ = try TensorBoardEventWriter(directory: directory, resumeFrom: -1) }
    }

    func testUnwritableFolderFailsOnCreation() throws {
        let location = try unwritableLocation()
        assertThrowsNaming(location, ["cannot create folder"]) { _ = try TensorBoardEventWriter(directory: location) }
    }

    func testFlushKeepsWriting() throws {
        let writer = try TensorBoardEventWriter(directory: directory)
        for step in 1...3 {
            try writer.log(step: step, ["loss": Double(step)])
            try writer.flush()
            // Each record is complete on disk when log returns: a reader sees every step so far.
            XCTAssertEqual(try TensorBoardEventReader(path: writer.path).entries.map(\.step), (1...Int64(step)).map { $0 })
        }
        try writer.close()
    }
}
