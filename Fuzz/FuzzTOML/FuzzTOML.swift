import TOML

/// libFuzzer entry: any UTF-8 text to the TOML parser. It must return a table or throw a TOMLError whose line
/// and column lie inside the text; an accepted document converts to plain values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
    do {
        let table = try TOML.parse(text)
        _ = TOMLValue.table(table).plain
    } catch let error as TOMLError {
        // Lines end at LF bytes (a CRLF is one Character, so split the bytes, not the Characters).
        let lines = text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false)
        precondition(error.line >= 1 && error.line <= lines.count, "error line \(error.line) outside the text")
        let scalars = String(decoding: lines[error.line - 1], as: UTF8.self).unicodeScalars.count
        precondition(error.column >= 1 && error.column <= scalars + 1, "error column \(error.column) outside line \(error.line)")
    } catch {
        preconditionFailure("not a TOMLError: \(error)")
    }
    return 0
}
