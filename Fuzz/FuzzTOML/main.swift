import TOML

/// libFuzzer entry: any UTF-8 text to the TOML parser. It must return a table or throw a TOMLError whose line
/// and column lie inside the text; an accepted document converts to plain values.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard let text = String(bytes: UnsafeBufferPointer(start: data, count: size), encoding: .utf8) else { return 0 }
    do {
        let table = try TOML.parse(text)
        _ = TOMLValue.table(table).plain
    } catch let error as TOMLError {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        precondition(error.line >= 1 && error.line <= lines.count, "error line \(error.line) outside the text")
        precondition(error.column >= 1 && error.column <= lines[error.line - 1].unicodeScalars.count + 1,
                     "error column \(error.column) outside line \(error.line)")
    } catch {
        preconditionFailure("not a TOMLError: \(error)")
    }
    return 0
}
