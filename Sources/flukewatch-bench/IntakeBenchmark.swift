import Crypto
import FlukeCore
import FlukeFixtures
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation

/// Intake throughput (hashing + header + EXIF + queueing) on 200 photos of 5–10 MB, against a
/// baseline of plain SHA-256 over the same bytes in the same process, and the daemon's peak RSS
/// while it takes and processes them.

func intakeBenchmark(photoCount: Int, keep: Bool) throws {

    let work = FileManager.default.temporaryDirectory.appendingPathComponent("flukewatch-bench-\(getpid())")
    let drop = work.appendingPathComponent("drop").path
    try FileManager.default.createDirectory(atPath: drop, withIntermediateDirectories: true)
    defer { if !keep { try? FileManager.default.removeItem(at: work) } }

    // 12 MP base photos with sensor noise (so JPEGs weigh what cameras write), then distinct
    // variants by EXIF alone: every file is different content, as on a real card.
    print("generating \(photoCount) photos of 4000×3000 …")
    var bases: [[UInt8]] = []
    let generateTime = try seconds {
        for b in 0..<8 {
            bases.append(try FixturePhoto(width: 4000, height: 3000, individualSeed: UInt64(b + 1), sceneSeed: UInt64(b + 1),
                                          noise: Double(10 + 2 * b), jpegQuality: 96).jpegBytes())
        }
    }
    var totalBytes = 0
    var paths: [String] = []
    for i in 0..<photoCount {
        let bytes = EXIFWriter.insert(FixturePhoto.cameraEXIF(index: i, serial: "BENCH-\(i)"), into: bases[i % bases.count])
        let path = "\(drop)/IMG_\(String(format: "%04d", i)).JPG"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        totalBytes += bytes.count
        paths.append(path)
    }
    let sizes = bases.map { Double($0.count) / 1e6 }
    print("  \(photoCount) files, \(fmt(Double(totalBytes) / 1e6)) MB (sizes \(fmt(sizes.min()!))–\(fmt(sizes.max()!)) MB), generated in \(fmt(generateTime)) s")
    print("  (files are in the page cache: these are CPU figures, not card-reader figures)\n")

    // Baseline: SHA-256 alone over the same bytes.
    var sink = 0
    let hashOnly = try seconds {
        for path in paths {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
            sink &+= Int(SHA256.hash(data: data).withUnsafeBytes { $0[0] })
        }
    }

    // Intake as the daemon does it: hash, header check, EXIF, one transaction per photo.
    let database = try StationDatabase(path: work.appendingPathComponent("intake.sqlite").path)
    let intaker = PhotoIntaker(log: IntakeLog(database: database), maxPixels: 150_000_000)
    var queued = 0
    let intakeTime = try seconds {
        for path in paths {
            if case .recorded(.queued, _) = try intaker.take(path: path, camera: "bench") { queued += 1 }
        }
    }
    let mb = Double(totalBytes) / 1e6
    print("intake (hash + header + EXIF + queue), \(queued) photos, one thread:")
    print("  intake        \(fmt(Double(photoCount) / intakeTime)) photos/s   \(fmt(mb / intakeTime)) MB/s   \(fmt(intakeTime * 1000 / Double(photoCount), 2)) ms/photo")
    print("  sha256 only   \(fmt(Double(photoCount) / hashOnly)) photos/s   \(fmt(mb / hashOnly)) MB/s   (baseline, same bytes, same process)")
    print("  ratio         intake takes \(fmt(intakeTime / hashOnly, 2))× the time of hashing alone\n")

    // The daemon itself: a separate process takes and processes every photo; we read its peak RSS.
    let binary = flukewatchBinary
    guard FileManager.default.isExecutableFile(atPath: binary) else {
        print("daemon: skipped, \(binary) not built (swift build -c release --product flukewatch)")
        return
    }
    let state = work.appendingPathComponent("state").path
    let daemon = Process()
    daemon.executableURL = URL(fileURLWithPath: binary)
    daemon.arguments = ["run", "--state-dir", state, "--watch", "\(drop)=bench", "--workers", "1"]
    daemon.standardError = FileHandle.nullDevice
    daemon.standardOutput = FileHandle.nullDevice
    var env = ProcessInfo.processInfo.environment
    env["FLUKEWATCH_CONFIG"] = nil
    daemon.environment = env
    let daemonStart = Date()
    try daemon.run()

    var done = 0
    var daemonDB: StationDatabase?
    while Date().timeIntervalSince(daemonStart) < 900 {
        Thread.sleep(forTimeInterval: 0.25)
        if daemonDB == nil, FileManager.default.fileExists(atPath: "\(state)/flukewatch.sqlite") {
            daemonDB = try? StationDatabase(path: "\(state)/flukewatch.sqlite")
        }
        if let db = daemonDB, let s = try? StationQueries(database: db).status() {
            done = s.photos.done
            if s.photos.done + s.photos.quarantined + s.photos.failed >= photoCount { break }
        }
    }
    let elapsed = Date().timeIntervalSince(daemonStart)
    let peak = peakRSSKiB(daemon.processIdentifier)
    kill(daemon.processIdentifier, SIGTERM)
    daemon.waitUntilExit()
    print("daemon (`flukewatch run`, 1 worker) taking and processing the same \(photoCount) photos:")
    print("  \(done) sightings in \(fmt(elapsed)) s   (\(fmt(elapsed * 1000 / Double(max(done, 1)), 0)) ms/photo incl. start-up; reduced decode + quality + thumbnail)")
    print("  peak RSS      \(peak.map { "\(fmt(Double($0) / 1024)) MiB" } ?? "unknown")   (VmHWM)")
    if sink == 42 { print("") }   // keeps the baseline's hashing from being optimised away
}
