import Foundation
import Torch

/// The dtype names of the safetensors format, mapped onto tensor dtypes.
enum SafeTensorsDType {
    static let byName: [String: DType] = [
        "BOOL": .bool, "U8": .uint8, "I8": .int8, "I16": .int16, "I32": .int32, "I64": .int64,
        "F16": .float16, "BF16": .bfloat16, "F32": .float32, "F64": .float64,
    ]

    static func name(of dtype: DType) -> String {
        byName.first { $0.value == dtype }!.key
    }
}

/// Where one tensor lives in the file: dtype, shape and its byte range relative to the data section.
public struct TensorInfo: Equatable, Sendable {
    public let dtype: DType
    public let shape: [Int]
    public let dataOffsets: Range<Int>
}

/// A parsed and validated header. Validation follows the reference implementation (the `safetensors`
/// crate): offsets must be in range, must not overlap, must tile the data section without holes, and each
/// byte count must equal the shape's element count times the dtype size.
struct SafeTensorsHeader {
    /// The largest header the reference implementation accepts.
    static let maxHeaderSize = 100_000_000

    let tensors: [String: TensorInfo]
    /// Tensor names in file order (by offset).
    let names: [String]
    let metadata: [String: String]
    /// Where the data section starts in the file: 8 + header length.
    let dataStart: Int

    /// Parses the header from the first bytes of a file of `fileSize` bytes.
    init(path: String, bytes: UnsafeRawBufferPointer) throws {
        let fileSize = bytes.count
        func fail(_ reason: String) -> SafeTensorsError { SafeTensorsError(path: path, reason) }
        func fail(tensor: String, _ reason: String) -> SafeTensorsError {
            SafeTensorsError(path: path, tensor: tensor, reason)
        }
        guard fileSize >= 8 else {
            throw fail("truncated: the file is \(fileSize) bytes, shorter than the 8-byte header length")
        }
        let headerLength = bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self).littleEndian
        guard headerLength <= UInt64(Self.maxHeaderSize) else {
            throw fail("header length \(headerLength) exceeds the \(Self.maxHeaderSize)-byte limit")
        }
        guard headerLength <= UInt64(fileSize - 8) else {
            throw fail("header length \(headerLength) runs beyond the end of the file (\(fileSize) bytes)")
        }
        let headerEnd = 8 + Int(headerLength)
        dataStart = headerEnd
        let headerData = Data(bytes[8..<headerEnd])
        let json: JSONValue
        do {
            json = try JSONDecoder().decode(JSONValue.self, from: headerData)
        } catch {
            throw fail("header is not valid JSON (\(error))")
        }
        guard case .object(let object) = json else { throw fail("header is not a JSON object") }

        var metadata: [String: String] = [:]
        if let raw = object["__metadata__"] {
            guard case .object(let dict) = raw else { throw fail("__metadata__ is not an object") }
            for (key, value) in dict {
                guard case .string(let string) = value else {
                    throw fail("__metadata__ value for '\(key)' is not a string")
                }
                metadata[key] = string
            }
        }
        self.metadata = metadata

        let dataSize = fileSize - headerEnd
        var tensors: [String: TensorInfo] = [:]
        for (name, raw) in object where name != "__metadata__" {
            guard case .object(let entry) = raw else { throw fail(tensor: name, "entry is not an object") }
            guard case .string(let dtypeName)? = entry["dtype"] else { throw fail(tensor: name, "missing dtype") }
            guard let dtype = SafeTensorsDType.byName[dtypeName] else {
                throw fail(tensor: name, "unknown dtype '\(dtypeName)'")
            }
            guard let shape = Self.integers(entry["shape"]), shape.allSatisfy({ $0 >= 0 }) else {
                throw fail(tensor: name, "shape is not a list of non-negative integers")
            }
            guard let offsets = Self.integers(entry["data_offsets"]), offsets.count == 2 else {
                throw fail(tensor: name, "data_offsets is not a pair of integers")
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, end >= 0 else {
                throw fail(tensor: name, "data_offsets [\(begin), \(end)] must not be negative")
            }
            guard begin <= end else { throw fail(tensor: name, "data_offsets [\(begin), \(end)] are reversed (begin after end)") }
            guard end <= dataSize else {
                throw fail(tensor: name, "data_offsets [\(begin), \(end)] run beyond the data section (\(dataSize) bytes)")
            }
            let (elements, overflow) = shape.reduce((1, false)) { acc, d in
                let (product, o) = acc.0.multipliedReportingOverflow(by: d)
                return (product, acc.1 || o)
            }
            let (expected, overflow2) = elements.multipliedReportingOverflow(by: dtype.elementSize)
            guard !overflow, !overflow2 else {
                throw fail(tensor: name, "shape \(shape) of \(dtypeName) needs more bytes than any file can hold "
                    + "(over 2^63), data_offsets [\(begin), \(end)] give \(end - begin)")
            }
            guard expected == end - begin else {
                throw fail(tensor: name, "shape \(shape) of \(dtypeName) needs \(expected) bytes, "
                    + "data_offsets [\(begin), \(end)] give \(end - begin)")
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: shape, dataOffsets: begin..<end)
        }

        // Offsets must tile the data section exactly: overlap, holes or trailing bytes mean corruption.
        let ordered = tensors.sorted {
            ($0.value.dataOffsets.lowerBound, $0.value.dataOffsets.upperBound, $0.key)
                < ($1.value.dataOffsets.lowerBound, $1.value.dataOffsets.upperBound, $1.key)
        }
        var position = 0
        var previous: String?
        for (name, info) in ordered {
            let range = info.dataOffsets
            if range.lowerBound < position, let previous {
                throw fail(tensor: name, "data_offsets [\(range.lowerBound), \(range.upperBound)] overlap tensor '\(previous)'")
            }
            if range.lowerBound > position {
                throw fail(tensor: name, "data_offsets start at \(range.lowerBound), leaving a gap after byte \(position)")
            }
            position = range.upperBound
            previous = name
        }
        guard position == dataSize else {
            throw fail("the data section has \(dataSize) bytes but the tensors cover \(position)")
        }
        self.tensors = tensors
        self.names = ordered.map(\.key)
    }

    /// A JSON array of integers.
    private static func integers(_ value: JSONValue?) -> [Int]? {
        guard case .array(let array)? = value else { return nil }
        var result: [Int] = []
        for element in array {
            guard case .integer(let n) = element else { return nil }
            result.append(n)
        }
        return result
    }
}

/// Just enough JSON to validate a header strictly: integers are kept apart from fractions and booleans,
/// which JSONSerialization's NSNumber blurs on Linux.
enum JSONValue: Decodable {
    case null, bool(Bool), integer(Int), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
