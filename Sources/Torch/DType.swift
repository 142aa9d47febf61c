import CTorch

/// Element types. Raw values are c10::ScalarType codes, so they pass through the shim unchanged.
public enum DType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case uint8 = 0, int8 = 1, int16 = 2, int32 = 3, int64 = 4
    case float16 = 5, float32 = 6, float64 = 7, bool = 11, bfloat16 = 15

    public var elementSize: Int {
        switch self {
        case .uint8, .int8, .bool: 1
        case .int16, .float16, .bfloat16: 2
        case .int32, .float32: 4
        case .int64, .float64: 8
        }
    }

    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64, .bfloat16: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .uint8: "uint8"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .float16: "float16"
        case .float32: "float32"
        case .float64: "float64"
        case .bool: "bool"
        case .bfloat16: "bfloat16"
        }
    }

    /// Parses "float32", "f32", "fp16", "bf16", ... as users write them on command lines and in configs.
    public init?(name: String) {
        switch name.lowercased() {
        case "float32", "f32", "fp32", "float": self = .float32
        case "float16", "f16", "fp16", "half": self = .float16
        case "bfloat16", "bf16": self = .bfloat16
        case "float64", "f64", "fp64", "double": self = .float64
        case "int64", "i64", "long": self = .int64
        case "int32", "i32", "int": self = .int32
        case "int16", "i16": self = .int16
        case "int8", "i8": self = .int8
        case "uint8", "u8": self = .uint8
        case "bool": self = .bool
        default: return nil
        }
    }
}

/// Where a tensor lives. CUDA paths go through the same shim calls; they need a CUDA libtorch (`LIBTORCH`).
public enum Device: Hashable, Sendable, CustomStringConvertible {
    case cpu
    case cuda(Int)

    var code: (type: Int32, index: Int64) {
        switch self {
        case .cpu: (Int32(CT_CPU), 0)
        case .cuda(let index): (Int32(CT_CUDA), Int64(index))
        }
    }

    init(code type: Int32, index: Int64) {
        self = type == Int32(CT_CUDA) ? .cuda(Int(index)) : .cpu
    }

    public var description: String {
        switch self {
        case .cpu: "cpu"
        case .cuda(let index): "cuda:\(index)"
        }
    }

    /// Parses "cpu", "cuda", "cuda:1".
    public init?(name: String) {
        let lower = name.lowercased()
        if lower == "cpu" {
            self = .cpu
        } else if lower == "cuda" {
            self = .cuda(0)
        } else if lower.hasPrefix("cuda:"), let index = Int(lower.dropFirst(5)), index >= 0 {
            self = .cuda(index)
        } else {
            return nil
        }
    }
}

/// Swift element types that map one-to-one onto a tensor dtype (same size and layout).
public protocol TensorScalar {
    static var dtype: DType { get }
}

extension Float: TensorScalar { public static var dtype: DType { .float32 } }
extension Double: TensorScalar { public static var dtype: DType { .float64 } }
#if !(os(macOS) && arch(x86_64))
extension Float16: TensorScalar { public static var dtype: DType { .float16 } }
#endif
extension Int64: TensorScalar { public static var dtype: DType { .int64 } }
extension Int: TensorScalar { public static var dtype: DType { .int64 } }
extension Int32: TensorScalar { public static var dtype: DType { .int32 } }
extension Int16: TensorScalar { public static var dtype: DType { .int16 } }
extension Int8: TensorScalar { public static var dtype: DType { .int8 } }
extension UInt8: TensorScalar { public static var dtype: DType { .uint8 } }
extension Bool: TensorScalar { public static var dtype: DType { .bool } }
