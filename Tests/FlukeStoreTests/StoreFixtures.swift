import FlukeCore
import FlukeStore
import Foundation

/// A real SQLite database in a fresh temporary folder.
func makeTemporaryDatabase() throws -> (StationDatabase, URL) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return (try StationDatabase(path: dir.appendingPathComponent("flukewatch.sqlite").path), dir)
}

func photoID(_ n: UInt8) -> PhotoID { PhotoID(digest: [UInt8](repeating: n, count: 32)) }

func intake(_ n: UInt8, path: String, verdict: PhotoIntake.Verdict? = nil, queuedAt: Date = Date()) -> PhotoIntake {
    let time = CaptureTime(date: Date(timeIntervalSince1970: 1_784_030_400 + Double(n)), utcOffsetSeconds: -10800, source: .exif)
    return PhotoIntake(
        id: photoID(n),
        file: FileObservation(path: path, camera: "cam", byteSize: 1000 + Int(n), mtimeNanoseconds: Int64(n) * 1_000_000_000, seenAt: queuedAt),
        metadata: PhotoMetadata(captureTime: time, position: GeoPosition(latitude: -23.5, longitude: -45.1)),
        verdict: verdict ?? .image(ImageHeader(format: .jpeg, width: 640, height: 480)))
}

let sampleQuality = QualityMeasures(sharpness: 100, meanLuminance: 90, clippedHighlights: 0, clippedShadows: 0, width: 640, height: 480)
