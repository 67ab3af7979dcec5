import FlukeCore
import FlukeStore
import Foundation

/// The only images the review page serves, always looked up by a database id, never by a
/// path from the request: a sighting's stored thumbnail (which must resolve inside the state
/// directory's thumbnails/) and fluke crop, and catalog photos as thumbnails and crops of the
/// same size, so the page shows query and candidates at one scale and never sends a 20 MB
/// original over the boat's Wi-Fi. What is made from an original is made once, and only if its
/// bytes still hash to the recorded photo.
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

    var thumbnailRoot: String { (stateDirectory as NSString).appendingPathComponent("thumbnails") }

    /// The fluke of a sighting's photo (what processing kept, or cut now from the original, which
    /// must still hash to the photo), in the thumbnails' width and a 4:3 frame; the thumbnail when
    /// the original is gone (a camera card wiped after the season), nil when there is neither.
    func sightingCrop(_ sighting: Int64) async throws -> [UInt8]? {
        guard let source = try queries.photoSource(sighting: sighting), Self.isSHA256(source.sha256) else { return nil }
        let cached = (stateDirectory as NSString).appendingPathComponent(StateDirectoryLayout.flukeCrop(sha256: source.sha256))
        let (width, analysis) = (thumbnailSize, analysisSize)
        let made = await derived(at: cached, fromOriginalAt: source.paths, sha256: source.sha256) {
            PhotoThumbnail.flukeCrop(of: $0, width: width, findFluke: true, analysisSize: analysis)
        }
        return try made ?? sightingThumbnail(sighting)
    }

    /// A catalog photo's fluke (or the whole photo for catalogs imported with `--crop none`) in
    /// the same frame as the sightings' crops; nil when the original is unreadable or changed.
    func catalogCrop(_ photoID: Int64) async throws -> [UInt8]? {
        guard let photo = try queries.catalogPhoto(id: photoID), Self.isSHA256(photo.sha256) else { return nil }
        let (width, analysis, findFluke) = (thumbnailSize, analysisSize, photo.crop != "none")
        return await derived(at: "\(stateDirectory)/\(StateDirectoryLayout.catalogCrop(sha256: photo.sha256))",
                             fromOriginalAt: [photo.sourcePath], sha256: photo.sha256) {
            PhotoThumbnail.flukeCrop(of: $0, width: width, findFluke: findFluke, analysisSize: analysis)
        }
    }

    /// A catalog photo as a thumbnail, made on first use; nil when the original is unreadable,
    /// changed since import, or not an image.
    func catalogThumbnail(_ photoID: Int64) async throws -> [UInt8]? {
        guard let photo = try queries.catalogPhoto(id: photoID), Self.isSHA256(photo.sha256) else { return nil }
        let size = thumbnailSize
        return await derived(at: "\(thumbnailRoot)/catalog/\(photo.sha256.prefix(2))/\(photo.sha256).jpg",
                             fromOriginalAt: [photo.sourcePath], sha256: photo.sha256) {
            PhotoThumbnail.jpeg(of: $0, maxSide: size)
        }
    }

    /// The sighting's thumbnail JPEG, or nil when it has none or its recorded path leaves the
    /// thumbnail folder (a tampered or foreign database must not turn into a file server).
    func sightingThumbnail(_ sighting: Int64) throws -> [UInt8]? {
        guard let relative = try queries.thumbnailPath(sighting: sighting) else { return nil }
        let full = relative.hasPrefix("/") ? relative : (stateDirectory as NSString).appendingPathComponent(relative)
        guard let resolved = Self.resolve(full), let root = Self.resolve(thumbnailRoot),
              resolved.hasPrefix(root + "/") else { return nil }
        return PhotoProcessor.readWholeFile(resolved)
    }

    /// An image made from an original photo and kept at `cached`: read from there when it exists,
    /// else made (one at a time, on the decode queue) from the first of `paths` whose bytes
    /// still hash to `sha256`, and kept. The file is a cache: failing to keep it only costs time.
    private func derived(at cached: String, fromOriginalAt paths: [String], sha256: String,
                         make: @escaping @Sendable ([UInt8]) -> [UInt8]?) async -> [UInt8]? {
        if let bytes = PhotoProcessor.readWholeFile(cached) { return bytes }
        return await withCheckedContinuation { done in
            decodeQueue.async {
                if let bytes = PhotoProcessor.readWholeFile(cached) { return done.resume(returning: bytes) }   // made while we queued
                let original = paths.lazy.compactMap { PhotoProcessor.readWholeFile($0) }
                    .first { ContentHasher.hash(bytes: $0).hex == sha256 }
                let made = original.flatMap(make)
                if let made { try? DerivedFile.store(made, at: cached) }
                done.resume(returning: made)
            }
        }
    }

    static func isSHA256(_ text: String) -> Bool { text.count == 64 && text.allSatisfy(\.isHexDigit) }

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
