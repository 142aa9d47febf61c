/// Just enough of the protocol buffers wire format (https://protobuf.dev/programming-guides/encoding/)
/// to write and read back the three TensorBoard messages we use, without a protobuf dependency.
enum WireType: UInt64 {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
}

/// Appends fields to a message's bytes. Fields are written in field-number order by the callers, as
/// protobuf's own serializers do (readers accept any order).
struct ProtobufWriter {
    private(set) var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var value = value
        while value >= 0x80 {
            bytes.append(UInt8(value & 0x7F) | 0x80)
            value >>= 7
        }
        bytes.append(UInt8(value))
    }

    mutating func key(_ field: Int, _ type: WireType) { varint(UInt64(field) << 3 | type.rawValue) }

    mutating func double(_ field: Int, _ value: Double) {
        key(field, .fixed64)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    mutating func float(_ field: Int, _ value: Float) {
        key(field, .fixed32)
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
    }

    /// int64 and enum fields: a varint of the two's-complement bits (10 bytes for a negative value).
    mutating func int64(_ field: Int, _ value: Int64) {
        key(field, .varint)
        varint(UInt64(bitPattern: value))
    }

    mutating func bytesField(_ field: Int, _ value: [UInt8]) {
        key(field, .lengthDelimited)
        varint(UInt64(value.count))
        bytes += value
    }

    mutating func string(_ field: Int, _ value: String) { bytesField(field, Array(value.utf8)) }
}

/// A malformed message; `offset` is relative to the start of the message.
struct ProtobufError: Error {
    let offset: Int
    let reason: String
}

/// Reads the fields of one message in order.
struct ProtobufReader {
    enum Value {
        case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes(ArraySlice<UInt8>)
    }

    private let bytes: ArraySlice<UInt8>
    /// Index into `bytes` (whose indices may not start at 0).
    private var position: Int

    init(_ bytes: ArraySlice<UInt8>) {
        self.bytes = bytes
        position = bytes.startIndex
    }

    /// Offset of the reader within the message.
    var offset: Int { position - bytes.startIndex }

    /// A varint of at most 10 bytes whose value fits 64 bits.
    mutating func varint() throws -> UInt64 {
        let start = offset
        var value: UInt64 = 0
        for index in 0..<10 {
            guard position < bytes.endIndex else { throw ProtobufError(offset: start, reason: "truncated varint") }
            let byte = bytes[position]
            position += 1
            if index == 9, byte > 1 { throw ProtobufError(offset: start, reason: "varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << (7 * UInt64(index))
            if byte < 0x80 { return value }
        }
        throw ProtobufError(offset: start, reason: "varint longer than 10 bytes")
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> (field: Int, value: Value)? {
        guard position < bytes.endIndex else { return nil }
        let start = offset
        let key = try varint()
        let field = key >> 3
        guard field >= 1, field <= 0x1FFF_FFFF else {
            throw ProtobufError(offset: start, reason: "invalid field number \(field)")
        }
        switch WireType(rawValue: key & 7) {
        case .varint:
            return (Int(field), .varint(try varint()))
        case .fixed64:
            return (Int(field), .fixed64(try fixed(8, start: start)))
        case .fixed32:
            return (Int(field), .fixed32(UInt32(try fixed(4, start: start))))
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(bytes.endIndex - position) else {
                throw ProtobufError(offset: start, reason: "field \(field) claims \(length) bytes, \(bytes.endIndex - position) remain")
            }
            let value = bytes[position..<position + Int(length)]
            position += Int(length)
            return (Int(field), .bytes(value))
        case nil:
            throw ProtobufError(offset: start, reason: "field \(field) has unsupported wire type \(key & 7)")
        }
    }

    private mutating func fixed(_ count: Int, start: Int) throws -> UInt64 {
        guard bytes.endIndex - position >= count else { throw ProtobufError(offset: start, reason: "truncated fixed-width field") }
        var value: UInt64 = 0
        for index in 0..<count { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += count
        return value
    }
}
