import FlukeCore
import Foundation

/// What EXIF says about a photo. Every field is optional: cameras, phones and editors all write
/// different subsets, and some strip EXIF entirely.
public struct EXIFData: Sendable, Equatable {
    /// DateTimeOriginal as written ("YYYY:MM:DD HH:MM:SS"), with its sub-seconds and offset tags.
    public var dateTimeOriginal: String?
    public var subSecondsOriginal: String?
    public var offsetTimeOriginal: String?
    public var position: GeoPosition?
    public var make: String?
    public var model: String?
    public var serial: String?
    public var orientation: ImageOrientation?

    public init() {}

    /// The capture time if DateTimeOriginal parses; offset applied when the camera wrote one.
    public var captureTime: CaptureTime? {
        guard let raw = dateTimeOriginal, let local = Self.parseDateTime(raw) else { return nil }
        var seconds = local
        if let sub = subSecondsOriginal?.trimmingCharacters(in: .whitespaces), !sub.isEmpty,
           sub.allSatisfy(\.isNumber), let value = Double("0." + sub) {
            seconds += value
        }
        let offset = offsetTimeOriginal.flatMap(Self.parseOffset)
        let utc = seconds - Double(offset ?? 0)
        return CaptureTime(date: Date(timeIntervalSince1970: utc), utcOffsetSeconds: offset, source: .exif)
    }

    /// Seconds since 1970 for the wall-clock reading, as if it were UTC.
    static func parseDateTime(_ s: String) -> Double? {
        let parts = s.split(whereSeparator: { $0 == ":" || $0 == " " || $0 == "-" || $0 == "T" }).compactMap { Int($0) }
        guard parts.count >= 6 else { return nil }
        let (y, mo, d, h, mi, se) = (parts[0], parts[1], parts[2], parts[3], parts[4], parts[5])
        guard (1900...2200).contains(y), (1...12).contains(mo), (1...31).contains(d),
              (0...23).contains(h), (0...59).contains(mi), (0...60).contains(se) else { return nil }
        var c = DateComponents()
        c.year = y; c.month = mo; c.day = d; c.hour = h; c.minute = mi; c.second = se
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.date(from: c)?.timeIntervalSince1970
    }

    /// "+02:00" / "-05:30" → seconds east of UTC.
    static func parseOffset(_ s: String) -> Int? {
        let t = s.trimmingCharacters(in: .whitespaces.union(.controlCharacters))
        guard t.count == 6, let sign = t.first, sign == "+" || sign == "-" else { return nil }
        let digits = t.dropFirst().split(separator: ":").compactMap { Int($0) }
        guard digits.count == 2, digits[0] <= 14, digits[1] < 60 else { return nil }
        let v = digits[0] * 3600 + digits[1] * 60
        return sign == "-" ? -v : v
    }
}

/// Finds and reads the EXIF block of a JPEG (APP1 "Exif"), a TIFF (its own IFDs) or a PNG (eXIf).
public enum EXIFReader {
    public static func read(_ source: some ByteSource) throws -> EXIFData {
        let head = try source.read(at: 0, count: ImageInspector.headLength)
        guard let format = ImageInspector.sniffFormat(head) else { return EXIFData() }
        let tiffBase: Int?
        switch format {
        case .jpeg: tiffBase = jpegExifOffset(head)
        case .tiff: tiffBase = 0
        case .png: tiffBase = pngExifOffset(head)
        }
        guard let base = tiffBase, let tiff = try TIFFDirectoryReader(source: source, base: base) else { return EXIFData() }
        return try read(tiff)
    }

    static func read(_ tiff: TIFFDirectoryReader) throws -> EXIFData {
        var out = EXIFData()
        guard let ifd0 = try tiff.directory(at: tiff.firstDirectoryOffset) else { return out }
        out.make = ifd0.string(0x010F)
        out.model = ifd0.string(0x0110)
        out.orientation = ifd0.integer(0x0112).flatMap(ImageOrientation.init(rawValue:))
        if let exifOffset = ifd0.integer(0x8769), let exif = try tiff.directory(at: exifOffset) {
            out.dateTimeOriginal = exif.string(0x9003)
            out.offsetTimeOriginal = exif.string(0x9011)
            out.subSecondsOriginal = exif.string(0x9291)
            out.serial = exif.string(0xA431)
        }
        if let gpsOffset = ifd0.integer(0x8825), let gps = try tiff.directory(at: gpsOffset) {
            out.position = position(gps)
        }
        return out
    }

    static func position(_ gps: TIFFDirectoryReader.Directory) -> GeoPosition? {
        func degrees(_ tag: UInt16) -> Double? {
            guard let v = gps.rationals(tag), v.count >= 1 else { return nil }
            return v[0] + (v.count > 1 ? v[1] / 60 : 0) + (v.count > 2 ? v[2] / 3600 : 0)
        }
        guard var lat = degrees(0x0002), var lon = degrees(0x0004) else { return nil }
        if gps.string(0x0001)?.uppercased() == "S" { lat = -lat }
        if gps.string(0x0003)?.uppercased() == "W" { lon = -lon }
        guard abs(lat) <= 90, abs(lon) <= 180, !(lat == 0 && lon == 0) else { return nil }
        var altitude = gps.rationals(0x0006)?.first
        if let a = altitude, gps.integer(0x0005) == 1 { altitude = -a }
        return GeoPosition(latitude: lat, longitude: lon, altitudeMeters: altitude)
    }

    /// Position of the TIFF header inside the first APP1 "Exif\0\0" segment.
    static func jpegExifOffset(_ head: [UInt8]) -> Int? {
        let r = BinaryReader(head, bigEndian: true)
        var at = 2
        let signature = Array("Exif".utf8) + [0, 0]
        while at + 4 <= head.count {
            guard head[at] == 0xFF else { return nil }
            let marker = head[at + 1]
            if marker == 0xFF { at += 1; continue }
            if marker == 0xDA || marker == 0xD9 { return nil }
            guard let length = r.u16(at + 2).map(Int.init), length >= 2 else { return nil }
            if marker == 0xE1, let sig = r.slice(at + 4, 6), sig.elementsEqual(signature) { return at + 10 }
            at += 2 + length
        }
        return nil
    }

    static func pngExifOffset(_ head: [UInt8]) -> Int? {
        let r = BinaryReader(head, bigEndian: true)
        var at = 8
        while at + 8 <= head.count {
            guard let length = r.u32(at).map(Int.init) else { return nil }
            if let type = r.slice(at + 4, 4), type.elementsEqual(Array("eXIf".utf8)) { return at + 8 }
            if let type = r.slice(at + 4, 4), type.elementsEqual(Array("IDAT".utf8)) { return nil }
            at += 12 + length
        }
        return nil
    }
}
