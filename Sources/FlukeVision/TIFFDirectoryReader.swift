/// Reads TIFF image file directories (IFDs): the structure of TIFF files and of the EXIF block
/// inside JPEGs. Offsets are relative to `base` (the TIFF header's position in the source).
struct TIFFDirectoryReader {
    let source: any ByteSource
    let base: Int
    let bigEndian: Bool
    let firstDirectoryOffset: Int

    /// One IFD entry's raw value bytes, already fetched.
    struct Entry {
        let type: UInt16
        let count: Int
        let bytes: [UInt8]
    }

    struct Directory {
        let entries: [UInt16: Entry]
        let bigEndian: Bool

        func integer(_ tag: UInt16) -> Int? {
            guard let e = entries[tag], e.count >= 1 else { return nil }
            let r = BinaryReader(e.bytes, bigEndian: bigEndian)
            switch e.type {
            case 1, 7: return r.u8(0).map(Int.init)
            case 3: return r.u16(0).map(Int.init)
            case 4: return r.u32(0).map(Int.init)
            case 9: return r.u32(0).map { Int(Int32(bitPattern: $0)) }
            default: return nil
            }
        }

        func string(_ tag: UInt16) -> String? {
            guard let e = entries[tag], e.type == 2 || e.type == 7 else { return nil }
            let trimmed = e.bytes.prefix { $0 != 0 }
            let s = String(decoding: trimmed, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            return s.isEmpty ? nil : s
        }

        /// RATIONAL / SRATIONAL values as doubles (zero denominators skipped).
        func rationals(_ tag: UInt16) -> [Double]? {
            guard let e = entries[tag], e.type == 5 || e.type == 10 else { return nil }
            let r = BinaryReader(e.bytes, bigEndian: bigEndian)
            var out: [Double] = []
            for i in 0..<e.count {
                guard let n = r.u32(i * 8), let d = r.u32(i * 8 + 4) else { return nil }
                if d == 0 { return nil }
                if e.type == 10 {
                    out.append(Double(Int32(bitPattern: n)) / Double(Int32(bitPattern: d)))
                } else {
                    out.append(Double(n) / Double(d))
                }
            }
            return out
        }
    }

    /// Nil when the source does not start (at `base`) with a TIFF header.
    init?(source: any ByteSource, base: Int) throws {
        let header = try source.read(at: base, count: 8)
        guard header.count == 8 else { return nil }
        let big: Bool
        if header[0] == 0x4D, header[1] == 0x4D { big = true } else if header[0] == 0x49, header[1] == 0x49 { big = false } else { return nil }
        let r = BinaryReader(header, bigEndian: big)
        guard r.u16(2) == 42, let first = r.u32(4) else { return nil }
        self.source = source
        self.base = base
        self.bigEndian = big
        self.firstDirectoryOffset = Int(first)
    }

    static func typeSize(_ type: UInt16) -> Int? {
        switch type {
        case 1, 2, 6, 7: 1
        case 3, 8: 2
        case 4, 9, 11: 4
        case 5, 10, 12: 8
        default: nil
        }
    }

    /// Reads the directory at `offset`; nil when it lies outside the data or is implausible.
    func directory(at offset: Int) throws -> Directory? {
        guard offset >= 8 else { return nil }
        let countBytes = try source.read(at: base + offset, count: 2)
        guard let n = BinaryReader(countBytes, bigEndian: bigEndian).u16(0), n > 0, n < 1000 else { return nil }
        let table = try source.read(at: base + offset + 2, count: Int(n) * 12)
        guard table.count == Int(n) * 12 else { return nil }
        let r = BinaryReader(table, bigEndian: bigEndian)
        var entries: [UInt16: Entry] = [:]
        for i in 0..<Int(n) {
            let at = i * 12
            guard let tag = r.u16(at), let type = r.u16(at + 2), let count = r.u32(at + 4),
                  let size = Self.typeSize(type) else { continue }
            let total = size * Int(count)
            guard total <= 64 * 1024 else { continue }      // no tag we read is that large
            let value: [UInt8]
            if total <= 4 {
                value = Array(table[(at + 8)..<(at + 8 + total)])
            } else {
                guard let off = r.u32(at + 8) else { continue }
                value = try source.read(at: base + Int(off), count: total)
                guard value.count == total else { continue }
            }
            entries[tag] = Entry(type: type, count: Int(count), bytes: value)
        }
        return Directory(entries: entries, bigEndian: bigEndian)
    }
}
