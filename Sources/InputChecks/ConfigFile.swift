import Foundation

/// A configuration file (or value) that cannot be used: the file, the key (a dotted path such as
/// `block_out_channels[0]`; nil for the file as a whole) and what is wrong or expected. The one error every
/// config decoder and validator throws, so that every message reads "FILE: KEY: WHAT IS EXPECTED, got VALUE".
public struct ConfigFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String?
    public var key: String?
    public var reason: String

    public init(file: String? = nil, key: String? = nil, _ reason: String) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    public var description: String {
        [file, key].compactMap { $0 }.joined(separator: ": ") + (file == nil && key == nil ? "" : ": ") + reason
    }

    /// The same error attributed to `file` (when it names none yet).
    public func inFile(_ path: String) -> ConfigFileError {
        var copy = self
        if copy.file == nil { copy.file = path }
        return copy
    }
}

/// Reading and decoding JSON configuration files with errors that name the file and key.
public enum ConfigFile {
    /// No configuration file we read is bigger.
    public static let maxBytes = 64 << 20

    /// Decodes `T` from JSON bytes with `ConfigDecoder`; every error is a `ConfigFileError` naming `file`.
    /// `wrap` turns a model's own error type (thrown by its validation) into a message.
    public static func decode<T: Decodable>(_ type: T.Type, from data: some Collection<UInt8>, file: String? = nil) throws -> T {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch let error as JSONSyntaxError {
            throw ConfigFileError(file: file, error.description)
        }
        do {
            return try T(from: ConfigDecoder(json))
        } catch let error as ConfigFileError {
            throw file.map { error.inFile($0) } ?? error
        } catch let error as DecodingError {
            throw ConfigFileError(file: file, key: nil, "\(error)")
        } catch {
            // A validation error of the model's own type: keep its words, add the file.
            throw ConfigFileError(file: file, "\(error)")
        }
    }

    /// Reads (a regular file, never blocking, at most `maxBytes`) and decodes `path`; `kind` names it in errors.
    public static func load<T: Decodable>(_ type: T.Type, path: String, kind: String = "a JSON config file") throws -> T {
        let bytes: [UInt8]
        do {
            bytes = try InputFile.read(path, maxBytes: maxBytes, kind: kind)
        } catch let error as InputFileError {
            throw ConfigFileError(file: error.path, error.reason)
        }
        return try decode(type, from: bytes, file: path)
    }
}

/// Range and meaning checks shared by the config validators; each throws a `ConfigFileError` naming the key.
public enum ConfigCheck {
    /// The largest count or size any SD-family config holds (channels, vocabulary, layers...).
    public static let maxCount = 1 << 24

    /// An integer in `range` (default 1...maxCount): "must be a positive integer (at most N), got V".
    @discardableResult
    public static func count(_ value: Int, _ key: String, in range: ClosedRange<Int> = 1...maxCount) throws -> Int {
        guard range.contains(value) else {
            let expected = range.lowerBound == 1 ? "a positive integer" : range.lowerBound == 0 ? "a non-negative integer"
                : "an integer of at least \(range.lowerBound)"
            throw ConfigFileError(key: key, "expected \(expected) of at most \(range.upperBound), got \(value)")
        }
        return value
    }

    /// A finite number, strictly positive when `positive`.
    @discardableResult
    public static func finite(_ value: Double, _ key: String, positive: Bool = false) throws -> Double {
        guard value.isFinite else { throw ConfigFileError(key: key, "expected a finite number, got \(value)") }
        guard !positive || value > 0 else { throw ConfigFileError(key: key, "expected a number greater than 0, got \(value)") }
        return value
    }

    /// A finite number strictly between `low` and `high`.
    @discardableResult
    public static func open(_ value: Double, _ key: String, _ low: Double, _ high: Double) throws -> Double {
        guard value.isFinite, value > low, value < high else {
            throw ConfigFileError(key: key, "expected a number between \(low) and \(high) (exclusive), got \(value)")
        }
        return value
    }
}
