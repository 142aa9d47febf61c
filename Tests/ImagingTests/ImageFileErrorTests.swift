import Foundation
import Imaging
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Every way an input path can fail to be an image: each error names the file and says what is wrong,
/// and none of them blocks or allocates the claimed size.
final class ImageFileErrorTests: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("image-errors") }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = folder.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: imageFixtures.url(name)))
    }

    /// `ImageFile.read(path:)` fails with an error that starts with the path and contains `reason`.
    private func assertFails(_ path: String, _ reason: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ImageFile.read(path: path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssert(text.hasPrefix(path + ": "), "does not name the file: \(text)", file: file, line: line)
            XCTAssert(text.contains(reason), "expected '\(reason)' in: \(text)", file: file, line: line)
        }
    }

    func testMissingDirectoryEmptyAndUnknown() throws {
        assertFails(folder.appendingPathComponent("none.jpg").path, "no such file")
        assertFails(try file("x", []) + "/inside.jpg", "not a directory")
        let directory = folder.appendingPathComponent("pictures.jpg")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
        assertFails(directory.path, "is a directory")
        assertFails(try file("empty.jpg", []), "empty file")
        assertFails(try file("notes.jpg", Array("just some text, not an image\n".utf8)), "unknown image format")
        assertFails(try file("anim.png", Array("GIF89a".utf8) + [0, 1, 0, 1]), "unknown image format")
    }

    /// Opening a FIFO for reading waits for a writer: the path must be refused from stat, at once.
    func testFIFOFailsImmediately() throws {
        let path = folder.appendingPathComponent("pipe.jpg").path
        XCTAssertEqual(mkfifo(path, 0o600), 0, String(cString: strerror(errno)))
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        let started = Date()
        Thread.detachNewThread {
            do { _ = try ImageFile.read(path: path) } catch { outcome.set("\(error)") }
            finished.signal()
        }
        if finished.wait(timeout: .now() + 5) == .timedOut {
            // Release the blocked reader by appearing as a writer, then fail.
            let writer = open(path, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            XCTFail("reading a FIFO blocked")
            return
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1)
        let message = try XCTUnwrap(outcome.get())
        XCTAssert(message.hasPrefix(path + ": ") && message.contains("FIFO"), message)
    }

    func testTruncatedJPEGsAreErrorsNotGrayPadding() throws {
        for name in ["jpeg_baseline_420.jpg", "jpeg_progressive_420.jpg", "jpeg_gray.jpg"] {
            let bytes = try fixtureBytes(name)
            assertFails(try file("half-\(name)", Array(bytes.prefix(bytes.count / 2))), "Premature end of JPEG file")
            // Every scanline present, only the end-of-image marker missing: still a cut file.
            assertFails(try file("noeoi-\(name)", Array(bytes.dropLast(2))), "Premature end of JPEG file")
            assertFails(try file("header-\(name)", Array(bytes.prefix(30))), "not a readable JPEG")
        }
        assertFails(try file("soi.jpg", [0xFF, 0xD8, 0xFF]), "not a readable JPEG")
    }

    func testCorruptJPEGDataIsAnError() throws {
        var bytes = try fixtureBytes("jpeg_restart_420.jpg")
        // The first restart marker after the scan header, renumbered: libjpeg would resynchronize and
        // fill the skipped blocks with gray; we refuse the file.
        let scan = try XCTUnwrap(markerOffset(0xDA, in: bytes))
        let restart = try XCTUnwrap((scan..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xD0 })
        bytes[restart + 1] = 0xD3
        assertFails(try file("resync.jpg", bytes), "Corrupt JPEG data")
        XCTAssertNoThrow(try ImageFile.read(path: imageFixtures.path("jpeg_restart_420.jpg")))
    }

    func testTruncatedPNG() throws {
        let bytes = try fixtureBytes("source_landscape.png")
        assertFails(try file("half.png", Array(bytes.prefix(bytes.count / 2))), "PNG")
        assertFails(try file("sig.png", Array(bytes.prefix(8))), "not a readable PNG")
    }

    /// A header claiming 60000x60000 pixels (10.8 GB of RGB) is refused before anything is allocated.
    func testAbsurdDimensionsAreRefusedFromTheHeader() throws {
        var jpeg = try fixtureBytes("jpeg_baseline_444.jpg")
        let frame = try XCTUnwrap(markerOffset(0xC0, in: jpeg))
        // SOF0: marker, length (2), precision (1), height (2), width (2).
        jpeg.replaceSubrange((frame + 5)..<(frame + 9), with: [0xEA, 0x60, 0xEA, 0x60])
        assertFails(try file("huge.jpg", jpeg), "exceeds the limit")

        var png = try fixtureBytes("source_tiny.png")
        // IHDR data at 16..<24 (width, height), its CRC over type + data at 29..<33.
        png.replaceSubrange(16..<24, with: [0, 0, 0xEA, 0x60, 0, 0, 0xEA, 0x60])
        let crc = crc32(png[12..<29])
        png.replaceSubrange(29..<33, with: [UInt8(crc >> 24), UInt8((crc >> 16) & 0xFF), UInt8((crc >> 8) & 0xFF), UInt8(crc & 0xFF)])
        assertFails(try file("huge.png", png), "exceeds the limit")

        // The limit is a parameter: a real 15x11 image over a 100-pixel limit.
        XCTAssertThrowsError(try ImageFile.read(path: imageFixtures.path("source_tiny.png"), maxPixels: 100)) {
            XCTAssert("\($0)".contains("exceeds the limit of 100 pixels"), "\($0)")
        }
        XCTAssertNoThrow(try ImageFile.read(path: imageFixtures.path("source_tiny.png"), maxPixels: 165))
    }

    // MARK: helpers

    /// Offset of the first 0xFF `marker` pair.
    private func markerOffset(_ marker: UInt8, in bytes: [UInt8]) -> Int? {
        (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == marker }
    }

    /// PNG's CRC-32 (ISO 3309), bitwise.
    private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

/// A result handed from the reader thread to the test.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var message: String?
    func set(_ value: String) { lock.withLock { message = value } }
    func get() -> String? { lock.withLock { message } }
}
