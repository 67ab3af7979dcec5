import Foundation

/// When a photo was taken, and how we know.
public struct CaptureTime: Sendable, Equatable, Codable {
    public enum Source: String, Sendable, Codable {
        /// EXIF DateTimeOriginal (with OffsetTimeOriginal when the camera wrote one).
        case exif
        /// No usable EXIF time: the file's modification time stands in, and says so.
        case fileModificationTime = "file-mtime"
    }

    public var date: Date
    /// Seconds east of UTC when the camera recorded its offset; nil when the EXIF time is local
    /// time of unknown zone (then `date` treats it as UTC and `offsetKnown` is false).
    public var utcOffsetSeconds: Int?
    public var source: Source

    public init(date: Date, utcOffsetSeconds: Int?, source: Source) {
        self.date = date
        self.utcOffsetSeconds = utcOffsetSeconds
        self.source = source
    }

    public var isFallback: Bool { source == .fileModificationTime }

    /// ISO 8601 with the camera's offset when known, else `Z`.
    public var iso8601: String {
        let offset = utcOffsetSeconds ?? 0
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: offset) ?? TimeZone(identifier: "UTC")!
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: date)
        let millis = Int((Double(c.nanosecond ?? 0) / 1_000_000).rounded())
        var s = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
        if millis > 0 { s += String(format: ".%03d", min(millis, 999)) }
        if utcOffsetSeconds == nil || offset == 0 { return s + "Z" }
        let sign = offset < 0 ? "-" : "+"
        return s + String(format: "%@%02d:%02d", sign, abs(offset) / 3600, (abs(offset) % 3600) / 60)
    }
}

/// Where a photo was taken (WGS 84, from EXIF GPS).
public struct GeoPosition: Sendable, Equatable, Codable {
    public var latitude: Double
    public var longitude: Double
    public var altitudeMeters: Double?

    public init(latitude: Double, longitude: Double, altitudeMeters: Double? = nil) {
        self.latitude = latitude
        self.longitude = longitude
        self.altitudeMeters = altitudeMeters
    }
}

/// EXIF orientation 1...8 (TIFF tag 0x0112): how to turn the stored pixels upright.
public enum ImageOrientation: Int, Sendable, Codable {
    case up = 1, upMirrored, down, downMirrored, leftMirrored, right, rightMirrored, left
}

/// What the camera wrote about a photo, as far as FlukeWatch uses it.
public struct PhotoMetadata: Sendable, Equatable, Codable {
    public var captureTime: CaptureTime
    public var position: GeoPosition?
    public var cameraMake: String?
    public var cameraModel: String?
    public var cameraSerial: String?
    public var orientation: ImageOrientation

    public init(captureTime: CaptureTime, position: GeoPosition? = nil, cameraMake: String? = nil,
                cameraModel: String? = nil, cameraSerial: String? = nil, orientation: ImageOrientation = .up) {
        self.captureTime = captureTime
        self.position = position
        self.cameraMake = cameraMake
        self.cameraModel = cameraModel
        self.cameraSerial = cameraSerial
        self.orientation = orientation
    }
}
