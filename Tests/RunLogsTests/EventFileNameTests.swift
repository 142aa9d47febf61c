@testable import RunLogs
import XCTest

/// New event files must sort after the folder's existing ones, or TensorBoard reads the resumed run first.
final class EventFileNameTests: XCTestCase {
    func testNaturalName() {
        XCTAssertEqual(EventFileName.make(seconds: 1_751_300_000, host: "box", pid: 42, existing: []),
                       "events.out.tfevents.1751300000.box.42.0")
        XCTAssertEqual(EventFileName.name(seconds: 5, host: "h", pid: 1), "events.out.tfevents.0000000005.h.1.0")
        // Older files and other files do not matter.
        XCTAssertEqual(EventFileName.make(seconds: 200, host: "h", pid: 7,
                                          existing: ["events.out.tfevents.0000000100.h.7.0", "metrics.jsonl", "zzz"]),
                       "events.out.tfevents.0000000200.h.7.0")
    }

    func testSameSecondSortsAfter() {
        // The same name, a larger pid with more digits ("10" < "9"), a later host name: all in the same second.
        for latest in ["events.out.tfevents.0000000100.h.9.0", "events.out.tfevents.0000000100.zz.1.0",
                       "events.out.tfevents.0000000100.h.10.0"] {
            XCTAssertEqual(EventFileName.make(seconds: 100, host: "h", pid: 10, existing: ["a.txt", latest]),
                           "events.out.tfevents.0000000101.h.10.0", latest)
        }
        // A clock that went back: still after the latest.
        XCTAssertEqual(EventFileName.make(seconds: 50, host: "h", pid: 1, existing: ["events.out.tfevents.0000000100.h.1.0"]),
                       "events.out.tfevents.0000000101.h.1.0")
    }

    func testUnadvanceableNameIsRefused() {
        XCTAssertNil(EventFileName.make(seconds: 100, host: "h", pid: 1, existing: ["zz.tfevents"]))
        // A profiler's empty marker file is not an event file.
        XCTAssertNotNil(EventFileName.make(seconds: 100, host: "h", pid: 1, existing: ["zz.tfevents.profile-empty"]))
    }
}
