import FlukeCore
import FlukeStore
import Foundation

/// The only images the review page serves, always looked up by a database id, never by a
/// path from the request: a sighting's stored thumbnail (which must resolve inside the state
/// directory's thumbnails/), and catalog photos re-encoded as thumbnails of the same size, so
/// the page shows query and candidates at one scale and never sends a 20 MB original over the
/// boat's Wi-Fi. A catalog thumbnail is made once (under thumbnails/catalog/) from the
/// original only if its bytes still hash to the catalogued photo.
struct ReviewImages: Sendable {
    let stateDirectory: String
    let thumbnailSize: Int
    let analysisSize: Int
    let queries: StationQueries
    /// One decode at a time: a 12 MP photo costs ~40 MB, and a board has little memory.
    private let decodeQueue = DispatchQueue(label: "flukewatch.review.thumbnails")

    init(config: StationConfig, database: StationDatabase) {
        stateDirectory = config.stateDirectory
        thumbnailSize = config.thumbnailSize
        analysisSize = config.analysisSize
        queries = StationQueries(database: database)
    }

    /// Fluke crops, query and candidates alike, share one 4:3 frame of the thumbnails' width.
    var cropSize: (width: Int, height: Int) { (thumbnailSize, thumbnailSize * 3 / 4) }
    var cropRoot: String { (stateDirectory as NSString).appendingPathComponent("crops") }

    /// The fluke of a sighting's photo, cut from the original (which must still hash to the
    /// photo) on first view and kept under crops/; the thumbnail when the original is gone
    /// (a camera card wiped after the season), nil when there is neither.
    func sightingCrop(_ sighting: Int64) async throws -> [UInt8]? {
        guard let source = try queries.photoSource(sighting: sighting), Self.isSHA256(source.sha256) else { return nil }
        let cached = (stateDirectory as NSString).appendingPathComponent(StateDirectoryLayout.flukeCrop(sha256: source.sha256))
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }
        let (size, analysis) = (cropSize, analysisSize)
        let made = await onDecodeQueue {
            Self.makeCrop(from: source.paths, sha256: source.sha256, at: cached, size: size, findFluke: true, analysisSize: analysis)
        }
        return try made ?? sightingThumbnail(sighting)
    }

    /// A catalog photo's fluke (or the whole photo for catalogs imported with `--crop none`) in
    /// the same frame as the sightings' crops; nil when the original is unreadable or changed.
    func catalogCrop(_ photoID: Int64) async throws -> [UInt8]? {
        guard let photo = try queries.catalogPhoto(id: photoID), Self.isSHA256(photo.sha256) else { return nil }
        let cached = "\(cropRoot)/catalog/\(photo.sha256.prefix(2))/\(photo.sha256).jpg"
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }
        let (size, analysis) = (cropSize, analysisSize)
        return await onDecodeQueue {
            Self.makeCrop(from: [photo.sourcePath], sha256: photo.sha256, at: cached, size: size,
                          findFluke: photo.crop != "none", analysisSize: analysis)
        }
    }

    private func onDecodeQueue(_ work: @escaping @Sendable () -> [UInt8]?) async -> [UInt8]? {
        await withCheckedContinuation { done in decodeQueue.async { done.resume(returning: work()) } }
    }

    private static func makeCrop(from paths: [String], sha256: String, at cached: String, size: (width: Int, height: Int),
                                 findFluke: Bool, analysisSize: Int) -> [UInt8]? {
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }   // made while we queued
        for path in paths {
            guard let original = PhotoProcessor.readWholeFile(path), ContentHasher.hash(bytes: original).hex == sha256 else { continue }
            guard let jpeg = PhotoThumbnail.flukeCrop(of: original, width: size.width, height: size.height,
                                                      findFluke: findFluke, analysisSize: analysisSize) else { return nil }
            keep(jpeg, at: cached)
            return jpeg
        }
        return nil
    }

    /// A cache: failing to keep a file only costs time on the next view.
    private static func keep(_ jpeg: [UInt8], at path: String) {
        let url = URL(fileURLWithPath: path)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(jpeg).write(to: url, options: .atomic)
    }

    static func isSHA256(_ text: String) -> Bool { text.count == 64 && text.allSatisfy(\.isHexDigit) }

    var thumbnailRoot: String { (stateDirectory as NSString).appendingPathComponent("thumbnails") }

    /// The sighting's thumbnail JPEG, or nil when it has none or its recorded path leaves the
    /// thumbnail folder (a tampered or foreign database must not turn into a file server).
    func sightingThumbnail(_ sighting: Int64) throws -> [UInt8]? {
        guard let relative = try queries.thumbnailPath(sighting: sighting) else { return nil }
        let full = relative.hasPrefix("/") ? relative : (stateDirectory as NSString).appendingPathComponent(relative)
        guard let resolved = Self.resolve(full), let root = Self.resolve(thumbnailRoot),
              resolved.hasPrefix(root + "/") else { return nil }
        return PhotoProcessor.readWholeFile(resolved)
    }

    /// A catalog photo as a thumbnail, made on first use; nil when the original is unreadable,
    /// changed since import, or not an image.
    func catalogThumbnail(_ photoID: Int64) async throws -> [UInt8]? {
        guard let photo = try queries.catalogPhoto(id: photoID),
              photo.sha256.count == 64, photo.sha256.allSatisfy(\.isHexDigit) else { return nil }
        let cached = "\(thumbnailRoot)/catalog/\(photo.sha256.prefix(2))/\(photo.sha256).jpg"
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }
        let size = thumbnailSize
        return await withCheckedContinuation { done in
            decodeQueue.async { done.resume(returning: Self.makeThumbnail(of: photo, at: cached, size: size)) }
        }
    }

    private static func makeThumbnail(of photo: CatalogPhotoRef, at cached: String, size: Int) -> [UInt8]? {
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }   // made while we queued
        guard let original = PhotoProcessor.readWholeFile(photo.sourcePath),
              ContentHasher.hash(bytes: original).hex == photo.sha256,
              let jpeg = PhotoThumbnail.jpeg(of: original, maxSide: size) else { return nil }
        let url = URL(fileURLWithPath: cached)
        try? FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? Data(jpeg).write(to: url, options: .atomic)   // a cache: failing to keep it only costs time
        return jpeg
    }

    /// The path with every symlink and `..` resolved; nil when it does not exist.
    static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// Shown where a photo cannot be: same 4:3 frame as a thumbnail, so the row stays aligned.
    static let placeholder = Array("""
        <svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">\
        <rect width="320" height="240" fill="#e4e7eb"/>\
        <path d="M110 150 q50 -50 100 0 q-50 -20 -100 0z" fill="#b8bec6"/>\
        <text x="160" y="196" font-family="sans-serif" font-size="18" text-anchor="middle" fill="#5b6470">photo unavailable</text>\
        </svg>
        """.utf8)
}
