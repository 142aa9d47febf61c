import Foundation
import Tokenizers

/// The tiny SD tokenizer of the test fixtures (same pipeline as CLIP's, small vocabulary).
nonisolated(unsafe) let tokenizer: CLIPTokenizer = {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    return try! CLIPTokenizer(directory: root.appendingPathComponent("Tests/StableDiffusionTests/Fixtures/pipe_tiny/tokenizer").path)
}()

/// libFuzzer entry: the input (UTF-8, invalid bytes replaced) as a prompt, encoded with phrase spans at a length
/// taken from the first byte. Checks the invariants the SPF losses rely on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let maxLength = 2 + Int(data[0] % 100)
    let text = String(decoding: UnsafeBufferPointer(start: data + 1, count: size - 1), as: UTF8.self)
    let result = tokenizer.encodeWithPhrases(text, maxLength: maxLength)
    precondition(result.ids.count == maxLength)
    precondition(result.ids == tokenizer(text, maxLength: maxLength))
    precondition(result.ids[0] == tokenizer.bosTokenID && result.ids[result.eosIndex] == tokenizer.eosTokenID)
    var previousEnd = 1
    for phrase in result.phrases {
        precondition(phrase.range.lowerBound >= previousEnd && phrase.range.upperBound <= result.eosIndex)
        precondition(!phrase.range.isEmpty)
        previousEnd = phrase.range.upperBound
    }
    return 0
}
