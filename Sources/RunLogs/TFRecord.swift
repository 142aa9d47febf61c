/// TFRecord framing, the container of TensorBoard event files (tensorflow/core/lib/io/record_writer.cc,
/// tensorboard/summary/writer/record_writer.py):
///
///     uint64 length (little endian), uint32 masked_crc32c(length bytes), data, uint32 masked_crc32c(data)
enum TFRecord {
    static func frame(_ data: [UInt8]) -> [UInt8] {
        var record: [UInt8] = []
        record.reserveCapacity(data.count + 16)
        let length = withUnsafeBytes(of: UInt64(data.count).littleEndian) { Array($0) }
        record += length
        withUnsafeBytes(of: CRC32C.maskedChecksum(length).littleEndian) { record += $0 }
        record += data
        withUnsafeBytes(of: CRC32C.maskedChecksum(data).littleEndian) { record += $0 }
        return record
    }

    /// Every record's data with the file offset where its framing starts. Both checksums are verified;
    /// a record cut short (a writer that crashed mid-record) is an error too, naming its offset.
    static func records(in bytes: [UInt8], path: String) throws -> [(offset: Int, data: ArraySlice<UInt8>)] {
        var records: [(offset: Int, data: ArraySlice<UInt8>)] = []
        var position = 0
        func little(_ start: Int, _ count: Int) -> UInt64 {
            (0..<count).reduce(UInt64(0)) { $0 | UInt64(bytes[start + $1]) << (8 * UInt64($1)) }
        }
        while position < bytes.count {
            let remaining = bytes.count - position
            guard remaining >= 12 else {
                throw RunLogsError(path: path, offset: position, "truncated record: \(remaining) bytes, the length and its CRC need 12")
            }
            let lengthCRC = UInt32(little(position + 8, 4))
            guard CRC32C.maskedChecksum(bytes[position..<position + 8]) == lengthCRC else {
                throw RunLogsError(path: path, offset: position, "corrupt record: the length's CRC does not match")
            }
            let length = little(position, 8)
            guard length <= UInt64(remaining - 12), UInt64(remaining - 12) - length >= 4 else {
                throw RunLogsError(path: path, offset: position,
                                   "truncated record: \(length) data bytes + 4 CRC bytes announced, \(remaining - 12) remain")
            }
            let start = position + 12
            let data = bytes[start..<start + Int(length)]
            let dataCRC = UInt32(little(start + Int(length), 4))
            guard CRC32C.maskedChecksum(data) == dataCRC else {
                throw RunLogsError(path: path, offset: position, "corrupt record: the data's CRC does not match")
            }
            records.append((position, data))
            position = start + Int(length) + 4
        }
        return records
    }
}
