import RunLogs

/// What TensorBoard shows for a folder of event files, replayed in Swift so the tests can check the
/// resume logic without Python: files in name order, and every SessionLog START drops the values read so
/// far whose step is >= the START's step (tensorboard/backend/event_processing/event_accumulator.py,
/// `_CheckForRestartAndMaybePurge` and `_Purge(by_tags=False)`, which keeps `x.step < event.step`).
/// tools/check_tensorboard.py checks the same folders with the real package.
enum TensorBoardView {
    static func scalars(in directory: String) throws -> [String: [(step: Int64, value: Float)]] {
        var series: [String: [(step: Int64, value: Float)]] = [:]
        for file in try TensorBoardEventReader.eventFiles(in: directory) {
            for event in try TensorBoardEventReader(path: file).events {
                switch event.payload {
                case .sessionLog(let status) where status == TensorBoardEvent.sessionStart:
                    for tag in series.keys { series[tag]!.removeAll { $0.step >= event.step } }
                case .scalars(let values):
                    for (tag, value) in values { series[tag, default: []].append((event.step, value)) }
                default:
                    break
                }
            }
        }
        return series
    }
}
