import FlukeCore
import FlukeStore
import FlukeVision
import Foundation

/// Takes one finished file from a drop folder into the station's log: hash, inspect, read EXIF,
/// record. Reads only; never writes, moves or deletes in the drop folder.
public struct PhotoIntaker: Sendable {
    public enum Result: Sendable, Equatable {
        case recorded(IntakeOutcome, PhotoID)
        case sidecar
        /// Recorded before with this size and time: nothing read.
        case unchanged
        /// Still changing while it was read: try again after it settles.
        case notReady
        case ignored(FileKind)
        /// Gone, or not a regular file.
        case vanished
        case unreadable(String)
    }

    let log: IntakeLog
    let maxPixels: Int

    public init(log: IntakeLog, maxPixels: Int) {
        self.log = log
        self.maxPixels = maxPixels
    }

    public func take(path: String, camera: CameraLabel) throws -> Result {
        let name = (path as NSString).lastPathComponent
        let kind = FileKind.classify(fileName: name)
        guard kind == .photo || kind == .rawSidecar else { return .ignored(kind) }
        guard let before = FileSnapshot.of(path), before.isRegularFile else { return .vanished }
        if try log.isRecordedUnchanged(path: path, byteSize: before.byteSize, mtimeNanoseconds: before.mtimeNanoseconds) {
            return .unchanged
        }
        var observation = FileObservation(path: path, camera: camera, byteSize: before.byteSize,
                                          mtimeNanoseconds: before.mtimeNanoseconds)
        if kind == .rawSidecar {
            try log.recordSidecar(observation, format: (name as NSString).pathExtension)
            return .sidecar
        }

        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let reason = "cannot open the file: \(String(cString: strerror(errno))); check its permissions (the flukewatch user needs read access)"
            if errno == ENOENT { return .vanished }
            try log.recordUnreadable(observation, reason: reason)
            return .unreadable(reason)
        }
        defer { close(fd) }
        do {
            let opened = FileFingerprint.of(descriptor: fd)
            let (id, bytesRead) = try ContentHasher.hash(descriptor: fd)
            // A writer still at work changes the size, the times or the file under us: leave it for later.
            guard let hashed = FileFingerprint.of(descriptor: fd), hashed == opened, bytesRead == before.byteSize,
                  hashed.byteSize == before.byteSize, hashed.mtimeNanoseconds == before.mtimeNanoseconds else {
                return .notReady
            }
            observation.fingerprint = hashed
            let source = FileBytes(descriptor: fd, size: bytesRead)
            let verdict = try ImageInspector.inspect(source, maxPixels: maxPixels)
            let exif = (try? EXIFReader.read(source)) ?? EXIFData()
            let metadata = Self.metadata(exif, fallbackTime: before.modified)
            let intakeVerdict: PhotoIntake.Verdict
            switch verdict {
            case .image(let header): intakeVerdict = .image(header)
            case .quarantine(let reason): intakeVerdict = .quarantine(reason, header: nil)
            }
            let outcome = try log.record(PhotoIntake(id: id, file: observation, metadata: metadata, verdict: intakeVerdict))
            return .recorded(outcome, id)
        } catch let error as POSIXError {
            let reason = "reading the file failed: \(error.localizedDescription); the card or disk may be failing"
            try log.recordUnreadable(observation, reason: reason)
            return .unreadable(reason)
        }
    }

    static func metadata(_ exif: EXIFData, fallbackTime: Date) -> PhotoMetadata {
        let time = exif.captureTime ?? CaptureTime(date: fallbackTime, utcOffsetSeconds: nil, source: .fileModificationTime)
        return PhotoMetadata(captureTime: time, position: exif.position, cameraMake: exif.make,
                             cameraModel: exif.model, cameraSerial: exif.serial, orientation: exif.orientation ?? .up)
    }
}
