import Foundation
import Training

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

/// Time-stamped stderr lines for the in-process jobs (`spf demo`, `spf eval suite`): status lines, training
/// progress per named run, and generation progress, each stamped with the time since `started`.
struct JobProgressLines {
    let started = Date()
    let stderr = FileHandle.standardError

    func stamp() -> String { ProgressReporter.clock(Date().timeIntervalSince(started)) }

    func log(_ line: String) { stderr.write(Data("[\(stamp())] \(line)\n".utf8)) }

    func training(_ name: String, _ progress: TrainingProgress) {
        let line = String(format: "\r[%@] %@ step %d/%d loss %.4f %.2fs/step eta %@", stamp(), name, progress.step,
                          progress.totalSteps, progress.loss, progress.stepSeconds, ProgressReporter.clock(progress.etaSeconds))
        stderr.write(Data((line + (progress.step == progress.totalSteps ? "\n" : "")).utf8))
    }

    func generation(_ what: String, _ done: Int, _ total: Int) {
        stderr.write(Data("\r[\(stamp())] \(what): \(done)/\(total)\(done == total ? "\n" : "")".utf8))
    }
}
