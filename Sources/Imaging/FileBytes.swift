import InputChecks

/// The whole content of an image file, with every way a path can fail to be one named in the error. Reading
/// goes through `InputFile` (stat before open, O_NONBLOCK, fstat again), so a FIFO in a data folder fails at
/// once instead of hanging a training run.
enum FileBytes {
    /// No image we read is bigger: a larger file is refused before any of it is read.
    static let maxBytes = 1 << 30

    static func load(_ path: String) throws -> [UInt8] {
        do {
            return try InputFile.read(path, maxBytes: maxBytes, kind: "an image file")
        } catch let error as InputFileError {
            throw ImageError(path: error.path, error.reason)
        }
    }
}
