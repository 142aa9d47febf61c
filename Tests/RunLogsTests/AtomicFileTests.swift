import Foundation
import RunLogs
import XCTest

/// `replaceAtomically` replaces regular files only: rename(2) over a link or FIFO would replace the node itself
/// (as root over /dev/null, the device), so those are refused with the path named and left as they were.
final class AtomicFileTests: TemporaryDirectoryTestCase {
    func testReplacesARegularFileAndCreatesAMissingOne() throws {
        let file = path("report.json")
        try replaceAtomically(path: file, with: Array("one".utf8))
        try replaceAtomically(path: file, with: Array("two".utf8))
        XCTAssertEqual(try text(file), "two")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["report.json"])
    }

    func testRefusesLinksFIFOsAndFolders() throws {
        let target = path("target.txt")
        try Data("kept".utf8).write(to: URL(fileURLWithPath: target))
        let link = path("link.txt")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let fifo = path("fifo")
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        let folder = path("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for node in [link, fifo, folder] {
            assertThrowsNaming(node, ["not a regular file"]) { try replaceAtomically(path: node, with: Array("new".utf8)) }
        }
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: link), target)
        XCTAssertEqual(try text(target), "kept")
        var status = stat()
        XCTAssertEqual(lstat(fifo, &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFIFO)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
                       ["fifo", "folder", "link.txt", "target.txt"])
    }
}
