import FlukeCore
import FlukeStore
import FlukeVision
import Foundation

/// Processes one claimed photo: re-reads its bytes (checking they still hash to its identity),
/// decodes at reduced size, measures quality, writes a thumbnail, and records the sighting.
/// Until identification lands the sighting's decision is `awaiting-identification`.
public struct PhotoProcessor: Sendable {
    public enum Outcome: Sendable, Equatable {
        case done(sightingID: Int64, quality: QualityMeasures, identification: IdentificationRecord?,
                  encounter: EncounterOutcome? = nil)
        case quarantined(QuarantineReason)
        case failed(String)
    }

    let queue: PhotoQueue
    let stateDirectory: String
    let thumbnailSize: Int
    let analysisSize: Int
    let maxPixels: Int
    /// Test hook: a photo whose file name contains this text hangs its worker forever, so the
    /// watchdog can be proven under a real systemd. Set only by the system test, through the
    /// environment (`FLUKEWATCH_TEST_HANG_ON`); never in a config file.
    let hangOn: String?
    /// The `[review] auto_confirm_above` policy, applied to each sighting once recorded.
    let autoConfirmer: AutoConfirmer

    public init(queue: PhotoQueue, config: StationConfig,
                hangOn: String? = ProcessInfo.processInfo.environment["FLUKEWATCH_TEST_HANG_ON"]) {
        self.hangOn = hangOn.flatMap { $0.isEmpty ? nil : $0 }
        self.queue = queue
        self.stateDirectory = config.stateDirectory
        self.thumbnailSize = config.thumbnailSize
        self.analysisSize = config.analysisSize
        self.maxPixels = config.maxPixels
        self.autoConfirmer = AutoConfirmer(policy: config.review, database: queue.stationDatabase)
    }

    /// Identification, when the station has a model (the extractor belongs to the calling worker).
    public struct Identifying {
        public let service: IdentificationService
        public let extractor: FeatureExtractor
        public init(service: IdentificationService, extractor: FeatureExtractor) {
            self.service = service
            self.extractor = extractor
        }
    }

    public func process(_ photo: ClaimedPhoto, identifying: Identifying? = nil) throws -> Outcome {
        if let hangOn, photo.paths.contains(where: { ($0 as NSString).lastPathComponent.contains(hangOn) }) {
            while true { Thread.sleep(forTimeInterval: 3600) }
        }
        guard let bytes = readVerified(photo) else {
            let reason = "the file is no longer at \(photo.paths.joined(separator: " or ")) with the same content (moved, deleted or edited before processing); copy the original back into the drop folder to process it"
            try queue.fail(photo.id, reason: reason)
            return .failed(reason)
        }
        let header: ImageHeader
        if let known = photo.header {
            header = known
        } else {
            switch try ImageInspector.inspect(MemoryBytes(bytes), maxPixels: maxPixels) {
            case .image(let h): header = h
            case .quarantine(let reason):
                try queue.quarantine(photo.id, reason: reason)
                return .quarantined(reason)
            }
        }
        let image: DecodedImage
        do {
            image = try PhotoDecoder.decode(bytes, reduction: PhotoDecoder.reduction(for: header, minLongSide: analysisSize),
                                            orientation: photo.orientation)
        } catch {
            let reason = QuarantineReason.decodeFailed(detail: "\(error)")
            try queue.quarantine(photo.id, reason: reason)
            return .quarantined(reason)
        }
        let rotated = [ImageOrientation.leftMirrored, .right, .rightMirrored, .left].contains(photo.orientation)
        let quality = try image.quality(fullWidth: rotated ? header.height : header.width,
                                        fullHeight: rotated ? header.width : header.height)
        let thumbnail = try writeThumbnail(image, id: photo.id)
        let identified = try identifying.flatMap {
            try $0.service.identify(image, extractor: $0.extractor, fullWidth: rotated ? header.height : header.width)
        }
        let identification = identified?.record
        if let identified {
            // The fluke as identified, for the review page and the hub; a cache the page can remake.
            try? writeFlukeCrop(image, box: identified.box, id: photo.id)
        }
        let sighting = try queue.complete(photo.id, with: ProcessedPhoto(quality: quality, thumbnailPath: thumbnail,
                                                                          identification: identification))
        _ = try? autoConfirmer.confirmIfConfident(sighting)   // on failure the sighting waits for a person
        // The photo's own sighting is safely recorded; the encounter's call is derived from the
        // recorded sightings and is recomputed when the next photo joins, so a failure here loses nothing.
        var encounter: EncounterOutcome?
        if let identified, let joined = try? identifying?.service.joinEncounter(sightingID: sighting, identified: identified) {
            encounter = EncounterOutcome(id: joined.encounterID, call: joined.call)
        }
        return .done(sightingID: sighting, quality: quality, identification: identification, encounter: encounter)
    }

    /// The bytes of the first path that still holds the photo: unchanged since intake hashed it
    /// (the same file with the same size, mtime and ctime: see `FileFingerprint`), or else
    /// hashing again to the photo's identity.
    private func readVerified(_ photo: ClaimedPhoto) -> [UInt8]? {
        for path in photo.paths {
            guard let (bytes, now) = Self.readWholeFileAndFingerprint(path) else { continue }
            if let recorded = photo.fingerprints[path], recorded.isTrustworthy, now == recorded { return bytes }
            if ContentHasher.hash(bytes: bytes) == photo.id { return bytes }
        }
        return nil
    }

    /// Reads a file straight into one array (no intermediate Data copy: photos are 5–30 MB and
    /// a board has little memory).
    static func readWholeFile(_ path: String) -> [UInt8]? { readWholeFileAndFingerprint(path)?.bytes }

    /// The bytes, and the file's fingerprint taken after reading them: a write during the read
    /// has changed the ctime by then, so a fingerprint equal to intake's vouches for these bytes.
    static func readWholeFileAndFingerprint(_ path: String) -> (bytes: [UInt8], fingerprint: FileFingerprint?)? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        guard let size = FileSnapshot.of(descriptor: fd)?.byteSize else { return nil }
        var complete = true
        // Uninitialised: zero-filling 5-30 MB only to overwrite it costs a visible share of a photo.
        let bytes = [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            var done = 0
            while done < size {
                let n = read(fd, buffer.baseAddress! + done, size - done)
                if n < 0, errno == EINTR { continue }
                if n <= 0 { break }
                done += n
            }
            complete = done == size
            // Bytes past a short read were never written: keep only what was read.
            count = done
        }
        return complete ? (bytes, FileFingerprint.of(descriptor: fd)) : nil
    }

    /// The fluke crop (`StateDirectoryLayout.flukeCrop`) in the thumbnails' width.
    private func writeFlukeCrop(_ image: DecodedImage, box: FlukeBox?, id: PhotoID) throws {
        try DerivedFile.store(try PhotoThumbnail.flukeCrop(of: image, box: box, width: thumbnailSize),
                              at: (stateDirectory as NSString).appendingPathComponent(StateDirectoryLayout.flukeCrop(sha256: id.hex)))
    }

    /// `thumbnails/ab/abcdef….jpg` under the state directory, written atomically (temp + rename)
    /// so a crash never leaves half a thumbnail. Returns the path relative to the state directory.
    private func writeThumbnail(_ image: DecodedImage, id: PhotoID) throws -> String {
        let relative = "thumbnails/\(id.hex.prefix(2))/\(id.hex).jpg"
        try DerivedFile.store(try image.jpegData(maxSide: thumbnailSize, quality: 82),
                              at: (stateDirectory as NSString).appendingPathComponent(relative))
        return relative
    }
}

/// The encounter a processed photo joined, and the encounter's combined call.
public struct EncounterOutcome: Sendable, Equatable {
    public var id: Int64
    public var call: EncounterStore.Call?
}
