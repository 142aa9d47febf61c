/// GPT-2's byte-to-character table (`bytes_to_unicode` in open_clip and tokenizers' ByteLevel): printable
/// Latin-1 bytes stand for themselves, the other 68 bytes for U+0100 onwards, so that every BPE token is a
/// string of visible characters.
enum ByteLevel {
    /// Bytes in the order of `bytes_to_unicode()`'s dict, which is the order of open_clip's first 256 ids.
    static let byteOrder: [UInt8] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        let rest = (0...255).filter { !printable.contains($0) }
        return (printable + rest).map { UInt8($0) }
    }()

    /// The character standing for each byte.
    static let characters: [Character] = {
        var table = [Character](repeating: " ", count: 256)
        var next: UInt32 = 256
        for byte in byteOrder {
            let isPrintable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            let scalar: UInt32
            if isPrintable {
                scalar = UInt32(byte)
            } else {
                scalar = next
                next += 1
            }
            table[Int(byte)] = Character(Unicode.Scalar(scalar)!)
        }
        return table
    }()
}
