import FlukeCore
import FlukeFixtures
import FlukeStation
import FlukeStore
import Foundation
import XCTest

/// A temporary station: a drop folder and a state directory under one fresh temp folder.
struct TempStation {
    let root: URL
    var drop: String { root.appendingPathComponent("drop").path }
    var state: String { root.appendingPathComponent("state").path }

    init(_ name: String = "station") throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fw-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(atPath: root.appendingPathComponent("drop").path, withIntermediateDirectories: true)
    }

    func config(settle: Double = 0.4, workers: Int = 2, extraFolders: [StationConfig.DropFolder] = []) -> StationConfig {
        var c = StationConfig()
        c.stateDirectory = state
        c.dropFolders = [.init(path: drop, camera: "test-cam", recursive: true)] + extraFolders
        c.settleSeconds = settle
        c.workers = workers
        return c
    }

    func database() throws -> StationDatabase { try StationDatabase(path: "\(state)/flukewatch.sqlite") }

    /// Every regular file under the drop folder, relative to it, with its bytes' size.
    func dropListing() -> [String: Int] {
        var out: [String: Int] = [:]
        let base = URL(fileURLWithPath: drop)
        if let e = FileManager.default.enumerator(at: base, includingPropertiesForKeys: [.fileSizeKey, .isRegularFileKey]) {
            for case let url as URL in e {
                let values = try? url.resourceValues(forKeys: [.fileSizeKey, .isRegularFileKey])
                if values?.isRegularFile == true {
                    out[String(url.path.dropFirst(base.path.count + 1))] = values?.fileSize ?? -1
                }
            }
        }
        return out
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes (never a fixed sleep).
func waitUntil(timeout: TimeInterval, _ what: String, file: StaticString = #filePath, line: UInt = #line,
               _ condition: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        Thread.sleep(forTimeInterval: 0.05)
    }
    if try condition() { return }
    XCTFail("timed out after \(timeout) s waiting for \(what)", file: file, line: line)
}

/// A fixture photo's JPEG bytes; `index` varies the EXIF time so each is distinct content.
func fixtureJPEG(_ index: Int, exif: Bool = true, size: (Int, Int) = (480, 360)) throws -> [UInt8] {
    try FixturePhoto(width: size.0, height: size.1, individualSeed: UInt64(index % 7 + 1), sceneSeed: UInt64(index + 1),
                     exif: exif ? FixturePhoto.cameraEXIF(index: index) : nil).jpegBytes()
}

/// Runs a StationDaemon in this process on its own task; `stop()` shuts it down gracefully.
final class InProcessDaemon: @unchecked Sendable {
    let daemon: StationDaemon
    private var task: Task<Void, Error>?

    init(_ config: StationConfig) throws {
        let ready = DispatchSemaphore(value: 0)
        daemon = try StationDaemon(config: config, logger: .init(label: "test"), onReady: { ready.signal() })
        let d = daemon
        task = Task { try await d.run() }
        guard ready.wait(timeout: .now() + 20) == .success else {
            throw NSError(domain: "test", code: 1, userInfo: [NSLocalizedDescriptionKey: "daemon did not become ready"])
        }
    }

    func stop() throws {
        let d = daemon
        let done = DispatchSemaphore(value: 0)
        let t = task
        Task {
            await d.shutdown()
            _ = try? await t?.value
            done.signal()
        }
        guard done.wait(timeout: .now() + 30) == .success else {
            throw NSError(domain: "test", code: 2, userInfo: [NSLocalizedDescriptionKey: "daemon did not stop"])
        }
    }
}

/// 5 individuals × 4 photos, and the CSV listing them (plus one bad row).
func makeSyntheticCatalog(in dir: URL) throws -> (csv: String, photos: [(path: String, individual: String)]) {
    var photos: [(String, String)] = []
    var lines = ["file,individual,name"]
    for individual in 1...5 {
        for shot in 1...4 {
            let name = "HW\(individual)_\(shot).jpg"
            let bytes = try FixturePhoto(width: 640, height: 480, individualSeed: UInt64(individual * 7),
                                         sceneSeed: UInt64(individual * 100 + shot), noise: 2,
                                         exif: FixturePhoto.cameraEXIF(index: individual * 10 + shot)).jpegBytes()
            try DropFolderWriter.write(bytes, to: dir.appendingPathComponent("photos/\(name)").path, style: .direct)
            lines.append("photos/\(name),HW-\(individual),Whale \(individual)")
            photos.append((dir.appendingPathComponent("photos/\(name)").path, "HW-\(individual)"))
        }
    }
    lines.append("photos/missing.jpg,HW-9,")
    let csv = dir.appendingPathComponent("catalog.csv").path
    try (lines.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
    return (csv, photos)
}
