import ArgumentParser
import FlukeCore
import FlukeFixtures
import FlukeStation
import FlukeStore
import Foundation
import Logging

/// The README's first command: a whole station run on photos the project generates.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the daemon end to end on generated fluke photos (no config, no server).",
        discussion: "Creates DIR/drop/bow-camera as a drop folder and DIR/state as the state directory, starts the station, drops photos in the ways cameras and people do (slow copies, renames, a card folder, RAW sidecars, a duplicate, damaged files), waits until every photo is in the log, prints it, and stops.")

    @Option(name: .customLong("demo-dir"), help: ArgumentHelp("Folder for the demo (recreated).", valueName: "DIR"))
    var demoDir: String = "flukewatch-demo"

    @Option(name: .long, help: "How many plain photos to drop (besides the special cases).")
    var photos: Int = 12

    func run() async throws {
        let root = URL(fileURLWithPath: demoDir).standardizedFileURL
        try prepare(root)
        let drop = root.appendingPathComponent("drop/bow-camera").path
        try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
        var config = StationConfig()
        config.stationID = "demo"
        config.stateDirectory = root.appendingPathComponent("state").path
        config.dropFolders = [.init(path: drop, camera: "bow-camera", recursive: true)]
        config.settleSeconds = 1
        Output.bootstrapLogging(level: "info")
        let logger = Logger(label: "flukewatch")
        try importDemoCatalog(root: root, config: config, logger: logger)

        let ready = AsyncStream<Void>.makeStream()
        let daemon = try StationDaemon(config: config, logger: logger, onReady: { ready.continuation.yield() })
        let running = Task { try await daemon.run() }
        for await _ in ready.stream { break }

        let expected = try await dropPhotos(into: drop)
        let status = try await waitUntilProcessed(daemon.database, expectedFiles: expected)
        await daemon.shutdown()
        try await running.value

        print("\n── FlukeWatch demo: the station's log ──")
        for s in try StationQueries(database: daemon.database).sightings() {
            let who = s.individual.map { " \($0)" } ?? ""
            let score = s.score.map { String(format: " (score %.2f)", $0) } ?? ""
            print("sighting #\(s.id)  \(s.capturedAt)  \(s.decision)\(who)\(score)  \((s.path as NSString).lastPathComponent)")
        }
        for e in try EncounterStore(database: daemon.database).list() {
            let call = [e.decision ?? "not identified", e.individual ?? "", e.score.map { String(format: "(score %.2f)", $0) } ?? ""]
                .filter { !$0.isEmpty }.joined(separator: " ")
            print("encounter #\(e.id)  \(e.photos) photo\(e.photos == 1 ? "" : "s") (sightings \(e.sightings.map { "#\($0)" }.joined(separator: " ")))  \(call)")
        }
        for p in try StationQueries(database: daemon.database).photos(state: .quarantined) {
            print("quarantined  \((p.path as NSString).lastPathComponent): \(p.reason ?? "")")
        }
        let c = status.photos
        print("""
            photos \(c.total): done \(c.done), quarantined \(c.quarantined), failed \(c.failed); duplicates \(c.duplicates); RAW sidecars \(status.sidecars); sightings \(status.sightings)
            state: \(config.stateDirectory)  (try: swift run flukewatch status --state-dir \(config.stateDirectory))
            """)
        guard c.queued == 0, c.processing == 0, status.sightings == c.done, c.done >= photos else {
            throw CLIError("the demo did not finish as expected; see the log above")
        }
    }

    /// A small catalog of the demo's four whales (other photos of the same animals), so the
    /// daemon's sightings are identified: match, uncertain or new.
    private func importDemoCatalog(root: URL, config: StationConfig, logger: Logger) throws {
        let dir = root.appendingPathComponent("catalog")
        var csv = "file,individual,name\n"
        let names = ["Salt", "Pepper", "Nile", "Komodo"]
        for individual in 1...4 {
            for shot in 1...3 {
                let name = "HW-\(individual)-\(shot).jpg"
                let bytes = try FixturePhoto(width: 1200, height: 900, individualSeed: UInt64(individual), sceneSeed: UInt64(5000 + individual * 10 + shot),
                                             noise: 3).jpegBytes()
                try DropFolderWriter.write(bytes, to: dir.appendingPathComponent(name).path, style: .direct)
                csv += "\(name),HW-\(String(format: "%04d", individual)),\(names[individual - 1])\n"
            }
        }
        try csv.write(to: dir.appendingPathComponent("catalog.csv"), atomically: true, encoding: .utf8)
        let database = try StationDatabase.openCreatingStateDirectory(config)
        do {
            let package = try ModelLocator.load(configured: nil)
            let summary = try CatalogImporter(database: database, package: package, recipe: config.recipe, logger: logger)
                .run(csvPath: dir.appendingPathComponent("catalog.csv").path, crop: .fluke)
            print("catalog: \(summary.catalogPhotos) photos of \(summary.individuals) whales imported from \(dir.path)/catalog.csv")
        } catch {
            print("catalog: not imported (\(error)); sightings will await identification")
        }
    }

    /// Recreates the demo folder; refuses to delete a folder the demo did not make.
    private func prepare(_ root: URL) throws {
        let marker = root.appendingPathComponent(".flukewatch-demo")
        if FileManager.default.fileExists(atPath: root.path) {
            guard FileManager.default.fileExists(atPath: marker.path) else {
                throw CLIError("\(root.path) exists and was not made by the demo; choose another --demo-dir")
            }
            try FileManager.default.removeItem(at: root)
        }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        // The marker is what lets a later demo run clear this folder; a folder without it is never removed.
        try Data("made by flukewatch demo\n".utf8).write(to: marker)
    }

    /// Drops the demo's files; returns how many files intake should record (photos, duplicates,
    /// damaged files and sidecars; not the ignored temporary ones).
    private func dropPhotos(into drop: String) async throws -> Int {
        // Bursts: three frames 4 s apart as each whale's fluke rises, a whale every five minutes,
        // so the station groups them into encounters (one combined call per whale).
        func photo(_ i: Int, individual: UInt64, second: Int? = nil) throws -> [UInt8] {
            try FixturePhoto(width: 1600, height: 1200, individualSeed: individual, sceneSeed: UInt64(1000 + i), noise: 3,
                             exif: FixturePhoto.cameraEXIF(index: second ?? (i / 3) * 300 + (i % 3) * 4)).jpegBytes()
        }
        var files = 0
        var first: [UInt8] = []
        for i in 0..<photos {
            let bytes = try photo(i, individual: UInt64(i / 3 % 4 + 1))
            if i == 0 { first = bytes }
            let style: DropFolderWriter.Style = i % 5 == 1 ? .renamedIn : (i % 5 == 2 ? .slow(chunks: 4, pause: 0.1) : .direct)
            try DropFolderWriter.write(bytes, to: "\(drop)/IMG_\(String(format: "%04d", i + 1)).JPG", style: style)
            files += 1
        }
        // A camera card copied in: a new DCIM subfolder with a JPEG and its RAW sidecar.
        let card = "\(drop)/DCIM/100CANON"
        try DropFolderWriter.write(try photo(100, individual: 2, second: 3000), to: "\(card)/IMG_0100.JPG", style: .direct)
        try DropFolderWriter.write(Array(repeating: 0x42, count: 4096), to: "\(card)/IMG_0100.CR3", style: .direct)
        files += 2
        // The same photo copied again under another name: a duplicate, not a second sighting.
        try DropFolderWriter.write(first, to: "\(card)/COPY_OF_IMG_0001.JPG", style: .direct)
        files += 1
        // Damaged files: quarantined with a reason, the station goes on.
        try DropFolderWriter.write(DamagedFile.text(), to: "\(drop)/notes.jpg", style: .direct)
        try DropFolderWriter.write(DamagedFile.truncated(try photo(200, individual: 3), keeping: 0.5),
                                   to: "\(drop)/IMG_0200.JPG", style: .direct)
        files += 2
        // Ignored: a partial download and a hidden file.
        try DropFolderWriter.write([1, 2, 3], to: "\(drop)/IMG_0300.JPG.part", style: .direct)
        try DropFolderWriter.write([1, 2, 3], to: "\(drop)/.DS_Store", style: .direct)
        return files
    }

    private func waitUntilProcessed(_ db: StationDatabase, expectedFiles: Int) async throws -> StationStatus {
        let queries = StationQueries(database: db)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let s = try queries.status()
            let recorded = s.photos.total + s.photos.duplicates + s.sidecars
            if recorded >= expectedFiles, s.photos.queued == 0, s.photos.processing == 0 { return s }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw CLIError("the demo timed out waiting for the station to process its photos")
    }
}
