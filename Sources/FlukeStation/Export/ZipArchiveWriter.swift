import FlukeMatch
import Foundation

/// A zip archive of stored (uncompressed) entries, built in memory.
///
/// Exports are text of a few megabytes at most, so compression is not worth a dependency; every
/// unzip tool, GBIF's IPT and Python's zipfile read stored entries. Names are UTF-8 (flag bit 11).
/// No Zip64: an archive is refused past 4 GiB, far beyond any station's season.
public struct ZipArchiveWriter {
    public enum Failure: Error, CustomStringConvertible {
        case tooLarge(String)
        case duplicateName(String)

        public var description: String {
            switch self {
            case .tooLarge(let name): "\(name) would make the archive larger than 4 GiB; export a shorter period with --since/--until"
            case .duplicateName(let name): "the archive already has an entry named \(name)"
            }
        }
    }

    private var body: [UInt8] = []
    private var directory: [UInt8] = []
    private var names: Set<String> = []
    private let dosTime: UInt16
    private let dosDate: UInt16

    /// `modified` is written as every entry's time (in UTC; zip has no time zones).
    public init(modified: Date = Date()) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: modified)
        dosTime = UInt16(c.hour! << 11 | c.minute! << 5 | c.second! / 2)
        dosDate = UInt16(max(c.year! - 1980, 0) << 9 | c.month! << 5 | c.day!)
    }

    public mutating func add(_ name: String, _ data: [UInt8]) throws {
        guard names.insert(name).inserted else { throw Failure.duplicateName(name) }
        let offset = body.count
        guard offset + data.count + directory.count < Int(UInt32.max) - 65_536 else { throw Failure.tooLarge(name) }
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(data)
        // Local file header.
        put32(&body, 0x0403_4B50)
        put16(&body, 20)                 // version needed: 2.0
        put16(&body, 0x0800)             // UTF-8 names
        put16(&body, 0)                  // method: stored
        put16(&body, dosTime)
        put16(&body, dosDate)
        put32(&body, crc)
        put32(&body, UInt32(data.count))
        put32(&body, UInt32(data.count))
        put16(&body, UInt16(nameBytes.count))
        put16(&body, 0)                  // no extra field
        body += nameBytes
        body += data
        // Its central directory record.
        put32(&directory, 0x0201_4B50)
        put16(&directory, 3 << 8 | 20)   // made by: Unix, zip 2.0
        put16(&directory, 20)
        put16(&directory, 0x0800)
        put16(&directory, 0)
        put16(&directory, dosTime)
        put16(&directory, dosDate)
        put32(&directory, crc)
        put32(&directory, UInt32(data.count))
        put32(&directory, UInt32(data.count))
        put16(&directory, UInt16(nameBytes.count))
        put16(&directory, 0)             // extra
        put16(&directory, 0)             // comment
        put16(&directory, 0)             // disk
        put16(&directory, 0)             // internal attributes
        put32(&directory, 0o100644 << 16) // external: a regular file, rw-r--r--
        put32(&directory, UInt32(offset))
        directory += nameBytes
    }

    /// The whole archive: entries, central directory, end record.
    public func finished() -> [UInt8] {
        var out = body + directory
        put32(&out, 0x0605_4B50)
        put16(&out, 0)
        put16(&out, 0)
        put16(&out, UInt16(names.count))
        put16(&out, UInt16(names.count))
        put32(&out, UInt32(directory.count))
        put32(&out, UInt32(body.count))
        put16(&out, 0)                   // no comment
        return out
    }

    private func put16(_ out: inout [UInt8], _ v: UInt16) {
        out.append(UInt8(v & 0xFF))
        out.append(UInt8(v >> 8))
    }

    private func put32(_ out: inout [UInt8], _ v: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(shift)) & 0xFF)) }
    }
}
