/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of TFRecord framing, computed
/// with the usual 256-entry table, one byte per step. Event records are a few hundred bytes, so a
/// faster slicing variant would not be measurable next to a training step.
public enum CRC32C {
    static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The CRC-32C of `bytes` (initial value and final xor 0xFFFFFFFF, as in RFC 3720 appendix B.4).
    public static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }

    /// TFRecord's masked form, ((crc >> 15) | (crc << 17)) + 0xa282ead8 (wrapping). The mask exists so
    /// that a CRC stored inside data that is itself checksummed does not weaken the outer check
    /// (tensorflow/core/lib/hash/crc32c.h; tensorboard/data/server/masked_crc.rs).
    public static func masked(_ crc: UInt32) -> UInt32 {
        ((crc >> 15) | (crc << 17)) &+ 0xA282_EAD8
    }

    public static func maskedChecksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        masked(checksum(bytes))
    }
}
