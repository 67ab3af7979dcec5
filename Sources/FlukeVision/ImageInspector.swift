import FlukeCore
import Foundation

/// Reads what a photo is (format, size) and whether it is whole, from its first and last bytes,
/// before anything is decoded. This is where a text file named `.jpg`, a truncated copy and a
/// decompression bomb are caught.
public enum ImageInspector {
    /// How much of the start of a file the inspector and the EXIF reader look at.
    public static let headLength = 256 * 1024
    /// How far from the end a JPEG's end-of-image marker may sit (cameras pad a little).
    public static let tailLength = 64 * 1024

    public enum Verdict: Sendable, Equatable {
        case image(ImageHeader)
        case quarantine(QuarantineReason)
    }

    /// Checks a photo's bytes. `maxPixels` refuses images whose header claims more pixels.
    public static func inspect(_ source: some ByteSource, maxPixels: Int) throws -> Verdict {
        if source.size == 0 { return .quarantine(.emptyFile) }
        let head = try source.read(at: 0, count: headLength)
        guard let format = sniffFormat(head) else {
            return .quarantine(.notAnImage(detail: describeMagic(head)))
        }
        let header: ImageHeader
        switch format {
        case .jpeg:
            guard let h = jpegHeader(head) else {
                return .quarantine(.unreadableHeader(detail: "no JPEG frame header (SOF) in the first \(headLength / 1024) KB"))
            }
            header = h
        case .png:
            guard let h = pngHeader(head) else { return .quarantine(.unreadableHeader(detail: "bad PNG IHDR chunk")) }
            header = h
        case .tiff:
            guard let h = try tiffHeader(source) else {
                return .quarantine(.unreadableHeader(detail: "no image width/height in the TIFF directory"))
            }
            header = h
        }
        guard header.width > 0, header.height > 0 else {
            return .quarantine(.unreadableHeader(detail: "header says \(header.width)×\(header.height)"))
        }
        if header.pixelCount > maxPixels {
            return .quarantine(.tooManyPixels(width: header.width, height: header.height, limit: maxPixels))
        }
        if let problem = try truncation(format: format, source: source, head: head) {
            return .quarantine(.truncated(detail: problem))
        }
        return .image(header)
    }

    public static func sniffFormat(_ head: [UInt8]) -> ImageFormat? {
        if head.count >= 3, head[0] == 0xFF, head[1] == 0xD8, head[2] == 0xFF { return .jpeg }
        if head.count >= 8, head[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if head.count >= 4, (head[0..<4].elementsEqual([0x49, 0x49, 0x2A, 0x00]) || head[0..<4].elementsEqual([0x4D, 0x4D, 0x00, 0x2A])) {
            return .tiff
        }
        return nil
    }

    static func describeMagic(_ head: [UInt8]) -> String {
        let first = head.prefix(16)
        let printable = first.allSatisfy { ($0 >= 0x20 && $0 < 0x7F) || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
        if printable {
            let text = String(decoding: first, as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
            return "it starts with text \"\(text)\""
        }
        return "it starts with bytes " + first.prefix(8).map { String(format: "%02X", $0) }.joined(separator: " ")
    }

    /// Walks JPEG segments to the first frame header (SOF0..SOF15 except DHT/JPG/DAC).
    static func jpegHeader(_ head: [UInt8]) -> ImageHeader? {
        let r = BinaryReader(head, bigEndian: true)
        var at = 2
        while at + 4 <= head.count {
            guard head[at] == 0xFF else { return nil }
            let marker = head[at + 1]
            if marker == 0xFF { at += 1; continue }           // fill byte
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { at += 2; continue }
            guard let length = r.u16(at + 2).map(Int.init), length >= 2 else { return nil }
            let isFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
            if isFrame {
                guard let h = r.u16(at + 5), let w = r.u16(at + 7) else { return nil }
                return ImageHeader(format: .jpeg, width: Int(w), height: Int(h))
            }
            if marker == 0xDA { return nil }                  // scan data before any frame header
            at += 2 + length
        }
        return nil
    }

    static func pngHeader(_ head: [UInt8]) -> ImageHeader? {
        let r = BinaryReader(head, bigEndian: true)
        guard head.count >= 24, head[12..<16].elementsEqual(Array("IHDR".utf8)),
              let w = r.u32(16), let h = r.u32(20) else { return nil }
        return ImageHeader(format: .png, width: Int(w), height: Int(h))
    }

    static func tiffHeader(_ source: some ByteSource) throws -> ImageHeader? {
        guard let tiff = try TIFFDirectoryReader(source: source, base: 0) else { return nil }
        guard let ifd0 = try tiff.directory(at: tiff.firstDirectoryOffset),
              let w = ifd0.integer(0x0100), let h = ifd0.integer(0x0101) else { return nil }
        return ImageHeader(format: .tiff, width: w, height: h)
    }

    /// Returns a description of how the file is cut short, or nil when it ends properly.
    static func truncation(format: ImageFormat, source: some ByteSource, head: [UInt8]) throws -> String? {
        switch format {
        case .jpeg:
            let start = max(0, source.size - tailLength)
            let tail = try source.read(at: start, count: tailLength)
            // The end-of-image marker must follow the main image's scan data; an embedded EXIF
            // thumbnail has its own FFD9 near the start, which must not count.
            let scanStart = firstScanOffset(head) ?? 0
            var i = tail.count - 2
            while i >= 0 {
                if tail[i] == 0xFF, tail[i + 1] == 0xD9, start + i > scanStart { return nil }
                i -= 1
            }
            return "no JPEG end-of-image marker in the last \(tailLength / 1024) KB of \(source.size) bytes"
        case .png:
            let tail = try source.read(at: max(0, source.size - 64), count: 64)
            let iend = Array("IEND".utf8)
            if tail.count >= 4, (0...(tail.count - 4)).contains(where: { tail[$0..<$0 + 4].elementsEqual(iend) }) { return nil }
            return "no PNG IEND chunk at the end of \(source.size) bytes"
        case .tiff:
            return nil   // TIFF has no end marker; the decoder reports damage
        }
    }

    static func firstScanOffset(_ head: [UInt8]) -> Int? {
        let r = BinaryReader(head, bigEndian: true)
        var at = 2
        while at + 4 <= head.count {
            guard head[at] == 0xFF else { return nil }
            let marker = head[at + 1]
            if marker == 0xFF { at += 1; continue }
            if marker == 0xD8 || (0xD0...0xD7).contains(marker) || marker == 0x01 { at += 2; continue }
            if marker == 0xDA { return at }
            guard let length = r.u16(at + 2).map(Int.init), length >= 2 else { return nil }
            at += 2 + length
        }
        return nil
    }
}
