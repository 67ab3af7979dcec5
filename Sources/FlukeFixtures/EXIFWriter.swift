import FlukeCore

/// The EXIF fields a fixture photo carries. All optional, like a real camera's.
public struct FixtureEXIF: Sendable {
    public var dateTimeOriginal: String?       // "YYYY:MM:DD HH:MM:SS"
    public var subSeconds: String?
    public var offsetTime: String?             // "+HH:MM"
    public var latitude: Double?
    public var longitude: Double?
    public var altitudeMeters: Double?
    public var make: String?
    public var model: String?
    public var serial: String?
    public var orientation: ImageOrientation?

    public init(dateTimeOriginal: String? = nil, subSeconds: String? = nil, offsetTime: String? = nil,
                latitude: Double? = nil, longitude: Double? = nil, altitudeMeters: Double? = nil,
                make: String? = nil, model: String? = nil, serial: String? = nil,
                orientation: ImageOrientation? = nil) {
        self.dateTimeOriginal = dateTimeOriginal
        self.subSeconds = subSeconds
        self.offsetTime = offsetTime
        self.latitude = latitude
        self.longitude = longitude
        self.altitudeMeters = altitudeMeters
        self.make = make
        self.model = model
        self.serial = serial
        self.orientation = orientation
    }
}

/// Writes a big-endian TIFF/EXIF block and splices it into a JPEG as an APP1 segment, so the
/// project's own fixtures carry real EXIF without shipping anyone's photos.
public enum EXIFWriter {
    private enum Value {
        case ascii(String)
        case short(UInt16)
        case long(UInt32)
        case rationals([(UInt32, UInt32)])
        case byte(UInt8)
        case bytes([UInt8], type: UInt16)

        var type: UInt16 {
            switch self {
            case .ascii: 2
            case .short: 3
            case .long: 4
            case .rationals: 5
            case .byte: 1
            case .bytes(_, let t): t
            }
        }

        var payload: [UInt8] {
            switch self {
            case .ascii(let s): Array(s.utf8) + [0]
            case .short(let v): [UInt8(v >> 8), UInt8(v & 0xff)]
            case .long(let v): be32(v)
            case .rationals(let r): r.flatMap { be32($0.0) + be32($0.1) }
            case .byte(let b): [b]
            case .bytes(let b, _): b
            }
        }

        var count: UInt32 {
            switch self {
            case .ascii(let s): UInt32(s.utf8.count + 1)
            case .rationals(let r): UInt32(r.count)
            case .bytes(let b, _): UInt32(b.count)
            default: 1
            }
        }
    }

    private static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xff), UInt8((v >> 8) & 0xff), UInt8(v & 0xff)] }
    private static func be16(_ v: UInt16) -> [UInt8] { [UInt8(v >> 8), UInt8(v & 0xff)] }

    private static func dms(_ value: Double) -> [(UInt32, UInt32)] {
        let a = abs(value)
        let d = floor(a)
        let m = floor((a - d) * 60)
        let s = ((a - d) * 60 - m) * 60
        return [(UInt32(d), 1), (UInt32(m), 1), (UInt32((s * 10000).rounded()), 10000)]
    }

    /// Lays out one IFD at `offset` (from the TIFF header); returns its bytes including
    /// out-of-line values. Entries must be sorted by tag.
    private static func ifd(_ entries: [(UInt16, Value)], at offset: Int) -> [UInt8] {
        let tableSize = 2 + entries.count * 12 + 4
        var table = be16(UInt16(entries.count))
        var data: [UInt8] = []
        for (tag, value) in entries {
            table += be16(tag) + be16(value.type) + be32(value.count)
            var payload = value.payload
            if payload.count <= 4 {
                payload += [UInt8](repeating: 0, count: 4 - payload.count)
                table += payload
            } else {
                table += be32(UInt32(offset + tableSize + data.count))
                data += payload
                if data.count % 2 == 1 { data.append(0) }
            }
        }
        table += be32(0)   // no next IFD
        return table + data
    }

    /// The TIFF block ("MM\0*" …) holding IFD0, the EXIF IFD and the GPS IFD.
    static func tiffBlock(_ exif: FixtureEXIF) -> [UInt8] {
        var exifEntries: [(UInt16, Value)] = []
        if let v = exif.dateTimeOriginal { exifEntries.append((0x9003, .ascii(v))) }
        if let v = exif.offsetTime { exifEntries.append((0x9011, .ascii(v))) }
        if let v = exif.subSeconds { exifEntries.append((0x9291, .ascii(v))) }
        if let v = exif.serial { exifEntries.append((0xA431, .ascii(v))) }

        var gpsEntries: [(UInt16, Value)] = []
        if let lat = exif.latitude, let lon = exif.longitude {
            gpsEntries.append((0x0000, .bytes([2, 3, 0, 0], type: 1)))
            gpsEntries.append((0x0001, .ascii(lat < 0 ? "S" : "N")))
            gpsEntries.append((0x0002, .rationals(dms(lat))))
            gpsEntries.append((0x0003, .ascii(lon < 0 ? "W" : "E")))
            gpsEntries.append((0x0004, .rationals(dms(lon))))
            if let alt = exif.altitudeMeters {
                gpsEntries.append((0x0005, .byte(alt < 0 ? 1 : 0)))
                gpsEntries.append((0x0006, .rationals([(UInt32((abs(alt) * 100).rounded()), 100)])))
            }
        }

        // IFD0 entries whose values we know now; the two pointers are patched in below.
        func ifd0Entries(exifAt: Int?, gpsAt: Int?) -> [(UInt16, Value)] {
            var e: [(UInt16, Value)] = []
            if let v = exif.make { e.append((0x010F, .ascii(v))) }
            if let v = exif.model { e.append((0x0110, .ascii(v))) }
            if let v = exif.orientation { e.append((0x0112, .short(UInt16(v.rawValue)))) }
            if let at = exifAt { e.append((0x8769, .long(UInt32(at)))) }
            if let at = gpsAt { e.append((0x8825, .long(UInt32(at)))) }
            return e
        }
        // First pass sizes IFD0 with placeholder pointers, second pass writes real ones.
        let placeholder = ifd(ifd0Entries(exifAt: exifEntries.isEmpty ? nil : 0, gpsAt: gpsEntries.isEmpty ? nil : 0), at: 8)
        let exifAt = 8 + placeholder.count
        let exifBytes = exifEntries.isEmpty ? [] : ifd(exifEntries, at: exifAt)
        let gpsAt = exifAt + exifBytes.count
        let gpsBytes = gpsEntries.isEmpty ? [] : ifd(gpsEntries, at: gpsAt)
        let ifd0 = ifd(ifd0Entries(exifAt: exifEntries.isEmpty ? nil : exifAt, gpsAt: gpsEntries.isEmpty ? nil : gpsAt), at: 8)
        return Array("MM".utf8) + [0x00, 0x2A] + be32(8) + ifd0 + exifBytes + gpsBytes
    }

    /// Inserts an APP1 Exif segment right after the JPEG's SOI marker.
    public static func insert(_ exif: FixtureEXIF, into jpeg: [UInt8]) -> [UInt8] {
        precondition(jpeg.count > 2 && jpeg[0] == 0xFF && jpeg[1] == 0xD8, "not a JPEG")
        let body = Array("Exif".utf8) + [0, 0] + tiffBlock(exif)
        let segment: [UInt8] = [0xFF, 0xE1] + be16(UInt16(body.count + 2)) + body
        return [0xFF, 0xD8] + segment + jpeg[2...]
    }
}

import Foundation
