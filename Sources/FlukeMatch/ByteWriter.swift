/// Appends little-endian scalars to a byte buffer: the on-disk formats are little-endian whatever
/// the board (ARM64 and x86-64 both are, but the format must not depend on it).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    mutating func write(_ v: UInt16) { for s in stride(from: 0, to: 16, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> s)) } }
    mutating func write(_ v: UInt32) { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> s)) } }
    mutating func write(_ v: UInt64) { for s in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: v >> s)) } }
    mutating func write(_ v: Float) { write(v.bitPattern) }
    mutating func write(_ v: Double) { write(v.bitPattern) }
    mutating func write(raw: [UInt8]) { bytes.append(contentsOf: raw) }
    mutating func write(_ values: [Float]) {
        bytes.reserveCapacity(bytes.count + 4 * values.count)
        for v in values { write(v) }
    }
}

/// Reads little-endian scalars from a byte buffer, refusing to read past its end.
struct ByteReader {
    let bytes: [UInt8]
    private(set) var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var remaining: Int { bytes.count - offset }

    mutating func need(_ n: Int) throws(ProjectionError) {
        guard n >= 0, n <= remaining else { throw .truncated(needed: offset + max(n, 0), available: bytes.count) }
    }

    mutating func readUInt(_ width: Int) throws(ProjectionError) -> UInt64 {
        try need(width)
        var v: UInt64 = 0
        for i in 0..<width { v |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        offset += width
        return v
    }

    mutating func readUInt16() throws(ProjectionError) -> UInt16 { UInt16(try readUInt(2)) }
    mutating func readUInt32() throws(ProjectionError) -> UInt32 { UInt32(try readUInt(4)) }
    mutating func readDouble() throws(ProjectionError) -> Double { Double(bitPattern: try readUInt(8)) }

    mutating func readFloats(_ count: Int) throws(ProjectionError) -> [Float] {
        try need(count * 4)
        var out = [Float](repeating: 0, count: count)
        for k in 0..<count {
            let o = offset + 4 * k
            let bits = UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
            out[k] = Float(bitPattern: bits)
        }
        offset += 4 * count
        return out
    }

    mutating func readBytes(_ count: Int) throws(ProjectionError) -> [UInt8] {
        try need(count)
        defer { offset += count }
        return Array(bytes[offset..<(offset + count)])
    }
}
