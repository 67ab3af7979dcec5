import FlukeCore
import Foundation
import GRDB

/// The station's catalog of known individuals: their reference photos, each photo's feature
/// vector per model version, and per model version the fitted projection and thresholds.
public struct CatalogStore: Sendable {
    let database: StationDatabase

    public init(database: StationDatabase) { self.database = database }

    public enum AddOutcome: Sendable, Equatable {
        case added
        /// The same bytes are already catalogued for this individual (re-import: a no-op).
        case alreadyPresent
        /// The same bytes are catalogued for another individual: the CSV contradicts the catalog.
        case conflict(existingIndividual: String)
    }

    /// A catalogued photo's feature vector, as stored.
    public struct Feature: Sendable {
        public var catalogPhotoID: Int64
        public var individual: String
        public var sha256: String
        public var vector: [Float]
    }

    /// The fitted state of the catalog for one model version.
    public struct FittedModel: Sendable, Equatable {
        public var modelVersion: String
        public var recipeJSON: String
        public var projection: Data?
        public var thresholdNew: Double
        public var thresholdMatch: Double
        public var simulatedMAP5: Double?
        public var catalogPhotos: Int
        public var individuals: Int
        public var fittedAt: Date

        public init(modelVersion: String, recipeJSON: String, projection: Data?, thresholdNew: Double, thresholdMatch: Double,
                    simulatedMAP5: Double?, catalogPhotos: Int, individuals: Int, fittedAt: Date = Date()) {
            self.modelVersion = modelVersion
            self.recipeJSON = recipeJSON
            self.projection = projection
            self.thresholdNew = thresholdNew
            self.thresholdMatch = thresholdMatch
            self.simulatedMAP5 = simulatedMAP5
            self.catalogPhotos = catalogPhotos
            self.individuals = individuals
            self.fittedAt = fittedAt
        }
    }

    /// Adds one reference photo with its feature vector, in one transaction.
    /// `localFeatures`: the crop's SIFT blob, kept for geometric verification (nil: none).
    public func add(individual: String, name: String?, sha256: String, sourcePath: String, feature: [Float],
                    modelVersion: String, crop: String, localFeatures: [UInt8]? = nil) throws -> AddOutcome {
        try database.pool.write { db in
            if let other = try String.fetchOne(db, sql: "SELECT individual_id FROM catalog_photo WHERE sha256 = ? AND individual_id <> ?",
                                               arguments: [sha256, individual]) {
                return .conflict(existingIndividual: other)
            }
            let now = Date().timeIntervalSince1970
            try db.execute(sql: """
                INSERT INTO individual (id, name, is_provisional, created_at) VALUES (?, ?, 0, ?)
                ON CONFLICT(id) DO UPDATE SET name = COALESCE(excluded.name, individual.name)
                """, arguments: [individual, name, now])
            if let existing = try Int64.fetchOne(db, sql: "SELECT id FROM catalog_photo WHERE individual_id = ? AND sha256 = ?",
                                                 arguments: [individual, sha256]) {
                let hasFeature = try Bool.fetchOne(db, sql: "SELECT 1 FROM embedding WHERE catalog_photo_id = ? AND model_version = ? AND crop = ?",
                                                   arguments: [existing, modelVersion, crop]) == true
                if hasFeature { return .alreadyPresent }
                try insertFeature(db, catalogPhotoID: existing, feature: feature, modelVersion: modelVersion, crop: crop)
                try insertLocalFeatures(db, catalogPhotoID: existing, localFeatures)
                return .added
            }
            try db.execute(sql: "INSERT INTO catalog_photo (individual_id, sha256, source_path, imported_at) VALUES (?, ?, ?, ?)",
                           arguments: [individual, sha256, sourcePath, now])
            let id = db.lastInsertedRowID
            try insertFeature(db, catalogPhotoID: id, feature: feature, modelVersion: modelVersion, crop: crop)
            try insertLocalFeatures(db, catalogPhotoID: id, localFeatures)
            return .added
        }
    }

    /// True when these bytes are catalogued for `individual` with a feature of this model and crop
    /// (lets a re-import skip decoding).
    public func contains(individual: String, sha256: String, modelVersion: String, crop: String) throws -> Bool {
        try database.pool.read { db in
            try Bool.fetchOne(db, sql: """
                SELECT 1 FROM catalog_photo c JOIN embedding e ON e.catalog_photo_id = c.id
                WHERE c.individual_id = ? AND c.sha256 = ? AND e.model_version = ? AND e.crop = ?
                """, arguments: [individual, sha256, modelVersion, crop]) == true
        }
    }

    /// Visits every catalog feature of one model version in catalog order, one row at a time
    /// (a 10 000-photo catalog's raw vectors are 630 MB on the station's 14×14 grid: never all in
    /// memory twice).
    public func forEachFeature(modelVersion: String, _ body: (Feature) throws -> Void) throws {
        try database.pool.read { db in
            let rows = try Row.fetchCursor(db, sql: """
                SELECT c.id, c.individual_id, c.sha256, e.vector FROM catalog_photo c
                JOIN embedding e ON e.catalog_photo_id = c.id
                JOIN individual i ON i.id = c.individual_id
                WHERE e.model_version = ? AND i.merged_into IS NULL
                ORDER BY c.id
                """, arguments: [modelVersion])
            while let row = try rows.next() {
                try body(Feature(catalogPhotoID: row[0], individual: row[1], sha256: row[2], vector: FloatBlob.decode(row[3])))
            }
        }
    }

    /// Model versions that have catalog embeddings (the hub may send references made by several).
    public func featureModelVersions() throws -> [String] {
        try database.pool.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT model_version FROM embedding WHERE catalog_photo_id IS NOT NULL ORDER BY 1")
        }
    }

    public func save(_ model: FittedModel) throws {
        try database.pool.write { db in
            try db.execute(sql: """
                INSERT INTO catalog_model (model_version, recipe, projection, threshold_new, threshold_match, simulated_map5,
                    catalog_photos, individuals, fitted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(model_version) DO UPDATE SET recipe = excluded.recipe, projection = excluded.projection,
                    threshold_new = excluded.threshold_new, threshold_match = excluded.threshold_match,
                    simulated_map5 = excluded.simulated_map5, catalog_photos = excluded.catalog_photos,
                    individuals = excluded.individuals, fitted_at = excluded.fitted_at
                """, arguments: [model.modelVersion, model.recipeJSON, model.projection, model.thresholdNew, model.thresholdMatch,
                                 model.simulatedMAP5, model.catalogPhotos, model.individuals, model.fittedAt.timeIntervalSince1970])
        }
    }

    /// The fitted state for one model version. `includingProjection` false leaves `projection` nil:
    /// the serialized projection is 24 MB on the station's recipe, too much to read for a
    /// threshold or a timestamp (the daemon checks for refits every 5 s).
    public func fittedModel(version: String, includingProjection: Bool = true) throws -> FittedModel? {
        try database.pool.read { db in
            let columns = """
                model_version, recipe, \(includingProjection ? "projection" : "NULL AS projection"), threshold_new,
                threshold_match, simulated_map5, catalog_photos, individuals, fitted_at
                """
            guard let row = try Row.fetchOne(db, sql: "SELECT \(columns) FROM catalog_model WHERE model_version = ?",
                                             arguments: [version]) else {
                return nil
            }
            return FittedModel(modelVersion: row["model_version"], recipeJSON: row["recipe"], projection: row["projection"],
                               thresholdNew: row["threshold_new"], thresholdMatch: row["threshold_match"],
                               simulatedMAP5: row["simulated_map5"], catalogPhotos: row["catalog_photos"],
                               individuals: row["individuals"], fittedAt: Date(timeIntervalSince1970: row["fitted_at"]))
        }
    }

    /// Counts for `flukewatch catalog stats`.
    public func counts() throws -> (individuals: Int, photos: Int) {
        try database.pool.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM individual WHERE merged_into IS NULL AND NOT is_provisional") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM catalog_photo") ?? 0)
        }
    }

    /// Names of individuals, for listings.
    public func names() throws -> [String: String] {
        try database.pool.read { db in
            var out: [String: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM individual WHERE name IS NOT NULL") { out[row[0]] = row[1] }
            return out
        }
    }

    /// Keeps the first blob a photo got (the crop does not change with the model).
    func insertLocalFeatures(_ db: Database, catalogPhotoID: Int64, _ blob: [UInt8]?) throws {
        guard let blob else { return }
        try db.execute(sql: "INSERT OR IGNORE INTO local_features (catalog_photo_id, blob) VALUES (?, ?)",
                       arguments: [catalogPhotoID, Data(blob)])
    }

    /// One catalog photo's local features (nil: none stored).
    public func localFeatures(catalogPhotoID: Int64) throws -> [UInt8]? {
        try database.pool.read { db in
            try Data.fetchOne(db, sql: "SELECT blob FROM local_features WHERE catalog_photo_id = ?", arguments: [catalogPhotoID])
                .map { [UInt8]($0) }
        }
    }

    func insertFeature(_ db: Database, catalogPhotoID: Int64, feature: [Float], modelVersion: String, crop: String) throws {
        try db.execute(sql: """
            INSERT INTO embedding (catalog_photo_id, model_version, dimension, vector, crop) VALUES (?, ?, ?, ?, ?)
            """, arguments: [catalogPhotoID, modelVersion, feature.count, FloatBlob.encode(feature), crop])
    }
}

/// Float vectors as little-endian Float32 blobs.
///
/// A raw vector on the 14×14 grid is 15 680 floats (63 KB), written once per sighting and read
/// once per catalog photo at every load and refit. On a little-endian host, which every board
/// is, memory already holds the blob's bytes, so each direction is one copy; element by element
/// the copy cost about 3 ms of a photo's processing.
public enum FloatBlob {
    public static func encode(_ v: [Float]) -> Data {
        #if _endian(little)
        return v.withUnsafeBytes { Data($0) }
        #else
        var data = Data(capacity: v.count * 4)
        for x in v { withUnsafeBytes(of: x.bitPattern.littleEndian) { data.append(contentsOf: $0) } }
        return data
        #endif
    }

    /// Trailing bytes short of a whole float are ignored.
    public static func decode(_ data: Data) -> [Float] {
        let n = data.count / 4
        return data.withUnsafeBytes { raw in
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: n) { buffer, count in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw.prefix(n * 4)))
                count = n
            }
            #else
            return (0..<n).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            #endif
        }
    }
}
