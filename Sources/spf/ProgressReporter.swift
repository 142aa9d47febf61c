import Foundation

/// One status line on standard error, rewritten in place: step, percentage, elapsed time and ETA.
final class ProgressReporter {
    private let label: String
    private let start = Date()

    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        let elapsed = Date().timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let line = String(format: "\r%@ %d/%d (%3.0f%%) elapsed %@ eta %@", label, done, total,
                          100 * Double(done) / Double(max(total, 1)), Self.clock(elapsed), Self.clock(eta))
        FileHandle.standardError.write(Data((line + (done == total ? "\n" : "")).utf8))
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return String(format: "%d:%02d", s / 60, s % 60)
    }
}
