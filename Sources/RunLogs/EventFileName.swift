/// Names of TensorBoard event files: `events.out.tfevents.<unix seconds, 10 digits>.<host>.<pid>.0`, as
/// tensorboard's own EventFileWriter names them.
///
/// Why the name matters: TensorBoard reads a folder's event files in sorted (byte-wise) name order
/// (directory_watcher.py `sorted(paths)`, the Rust data server's BTreeMap of file names), and the purge of
/// a resumed run's orphaned steps works only if the resumed file is read after the old ones. Two writers
/// in the same second (tests, a quick restart) can give names that sort the wrong way round — another
/// pid with fewer digits, another host — or the same name. So when the natural name would not sort after
/// every event file already in the folder, the seconds field is advanced past the latest one's instead
/// of adding a suffix: a suffix makes the name unique but not later.
enum EventFileName {
    static let prefix = "events.out.tfevents."

    /// What tensorboard loads as an event file (io_wrapper.IsSummaryEventsFile).
    static func isEventFile(_ name: String) -> Bool {
        name.contains("tfevents") && !name.hasSuffix(".profile-empty")
    }

    static func name(seconds: Int, host: String, pid: Int32) -> String {
        let digits = String(seconds)
        return prefix + String(repeating: "0", count: max(0, 10 - digits.count)) + digits + ".\(host).\(pid).0"
    }

    /// A name that sorts after every event file in `existing`; nil when none can be made (the latest
    /// existing name does not start with a seconds field we can advance).
    static func make(seconds: Int, host: String, pid: Int32, existing: [String]) -> String? {
        let natural = name(seconds: seconds, host: host, pid: pid)
        guard let latest = existing.filter(isEventFile).max(by: sortsBefore), !sortsBefore(latest, natural) else {
            return natural
        }
        guard latest.hasPrefix(prefix), let latestSeconds = Int(latest.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }) else {
            return nil
        }
        let advanced = name(seconds: latestSeconds + 1, host: host, pid: pid)
        return sortsBefore(latest, advanced) ? advanced : nil
    }

    /// Byte-wise order of the UTF-8 names: Python's str order and Rust's path order for these names.
    static func sortsBefore(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }
}
