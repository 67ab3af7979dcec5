import FlukeCore
import FlukeVision

/// A synthetic field photo the project makes itself: a fluke at sea with EXIF, encoded as JPEG.
/// Used by the demo, the tests and the benchmarks (never third-party photos).
public struct FixturePhoto: Sendable {
    public var width: Int
    public var height: Int
    /// Same seed, same animal (markings and outline).
    public var individualSeed: UInt64
    /// Placement, light, waves and noise.
    public var sceneSeed: UInt64
    /// Sensor noise; ~10 makes 12 MP JPEGs of several megabytes, as real ones are.
    public var noise: Double
    public var jpegQuality: Int
    public var exif: FixtureEXIF?

    public init(width: Int = 640, height: Int = 480, individualSeed: UInt64 = 1, sceneSeed: UInt64 = 1,
                noise: Double = 0, jpegQuality: Int = 90, exif: FixtureEXIF? = nil) {
        self.width = width
        self.height = height
        self.individualSeed = individualSeed
        self.sceneSeed = sceneSeed
        self.noise = noise
        self.jpegQuality = jpegQuality
        self.exif = exif
    }

    public func jpegBytes() throws -> [UInt8] {
        let scene = try SyntheticScene.render(width: width, height: height, individualSeed: individualSeed,
                                              sceneSeed: sceneSeed, noise: noise)
        let encoded = try scene.image.jpegData(quality: jpegQuality)
        guard let exif else { return encoded }
        return EXIFWriter.insert(exif, into: encoded)
    }

    /// A typical camera's EXIF for photo number `index` of a survey day, with its own time and position.
    public static func cameraEXIF(index: Int, serial: String = "FW-0042") -> FixtureEXIF {
        let second = index % 60, minute = (index / 60) % 60, hour = 9 + (index / 3600) % 10
        return FixtureEXIF(
            dateTimeOriginal: String(format: "2026:07:14 %02d:%02d:%02d", hour, minute, second),
            subSeconds: String(format: "%02d", (index * 7) % 100),
            offsetTime: "-03:00",
            latitude: -23.5 - Double(index % 100) * 0.001,
            longitude: -45.1 + Double(index % 50) * 0.001,
            altitudeMeters: 4.5,
            make: "Canon", model: "Canon EOS R7", serial: serial, orientation: .up)
    }
}

/// Damaged files of the kinds cameras and card copies produce, for quarantine tests.
public enum DamagedFile {
    /// The first `fraction` of a JPEG: what an interrupted copy leaves.
    public static func truncated(_ jpeg: [UInt8], keeping fraction: Double) -> [UInt8] {
        Array(jpeg.prefix(max(16, Int(Double(jpeg.count) * fraction))))
    }

    /// A text file someone named `.jpg`.
    public static func text(_ line: String = "this is not a photo, it is a note from the deck\n") -> [UInt8] {
        Array(line.utf8)
    }

    /// A valid-looking JPEG header that claims `width`×`height` pixels (a decompression bomb).
    public static func pixelBomb(width: UInt16 = 60000, height: UInt16 = 60000) -> [UInt8] {
        var b: [UInt8] = [0xFF, 0xD8]
        b += [0xFF, 0xC0, 0x00, 0x11, 0x08, UInt8(height >> 8), UInt8(height & 0xff), UInt8(width >> 8), UInt8(width & 0xff), 0x03]
        b += [0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]
        b += [UInt8](repeating: 0, count: 64) + [0xFF, 0xD9]
        return b
    }
}

import Foundation
