import Foundation

/// Reads an event file back, verifying both CRCs of every record; any truncation or corruption is an
/// error naming the file and the byte offset of the bad record. Meant for tests and inspection; the
/// real consumer of these files is TensorBoard.
public struct TensorBoardEventReader {
    /// One Event with a Summary: what TensorBoard plots.
    public struct Entry: Equatable, Sendable {
        public let wallTime: Double
        public let step: Int64
        public let scalars: [String: Float]

        public init(wallTime: Double, step: Int64, scalars: [String: Float]) {
            self.wallTime = wallTime
            self.step = step
            self.scalars = scalars
        }
    }

    public let path: String
    /// Every event in file order, including the file_version and SessionLog events.
    public let events: [TensorBoardEvent]

    public init(path: String) throws {
        self.path = path
        let bytes: [UInt8]
        do {
            bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw RunLogsError(path: path, "cannot read: \(error.localizedDescription)")
        }
        events = try TFRecord.records(in: bytes, path: path).map { record in
            do {
                return try TensorBoardEvent(decoding: record.data)
            } catch let error as ProtobufError {
                throw RunLogsError(path: path, offset: record.offset,
                                   "the record is not a valid Event (\(error.reason) at byte \(error.offset) of a message)")
            }
        }
    }

    /// The events that carry scalars, in file order.
    public var entries: [Entry] {
        events.compactMap { event in
            guard case .scalars(let scalars) = event.payload else { return nil }
            return Entry(wallTime: event.wallTime, step: event.step, scalars: scalars)
        }
    }

    /// The event files in `directory`, in the order TensorBoard reads them (sorted by name).
    public static func eventFiles(in directory: String) throws -> [String] {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            throw RunLogsError(path: directory, "cannot list the folder: \(error.localizedDescription)")
        }
        return names.filter(EventFileName.isEventFile).sorted(by: EventFileName.sortsBefore)
            .map { URL(fileURLWithPath: directory).appendingPathComponent($0).path }
    }
}
