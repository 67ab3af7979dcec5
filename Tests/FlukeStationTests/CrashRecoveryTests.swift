import Crypto
import FlukeCore
import FlukeFixtures
import FlukeStore
import Foundation
import GRDB
import XCTest

/// While 300 files arrive (some written slowly, some renamed in, some duplicates, some damaged),
/// the daemon — a real process — is killed with SIGKILL at random moments at least ten times and
/// restarted. At the end every file is in the log exactly once with the right final state.
final class CrashRecoveryTests: XCTestCase {
    enum Kind { case good, duplicate(of: Int), damaged(code: String) }

    struct Planned {
        var path: String
        var bytes: [UInt8]
        var kind: Kind
        var style: DropFolderWriter.Style
    }

    func plan(drop: String) throws -> [Planned] {
        var rng = SeededGenerator(seed: 2026)
        var planned: [Planned] = []
        var goodIndices: [Int] = []
        for i in 0..<300 {
            let folder = i < 100 ? drop : (i < 200 ? "\(drop)/DCIM/100TEST" : "\(drop)/DCIM/101TEST")
            let style: DropFolderWriter.Style = i % 10 == 3 ? .slow(chunks: 4, pause: 0.03) : (i % 7 == 2 ? .renamedIn : .direct)
            if i % 12 == 11, let original = goodIndices.randomElement(using: &rng) {
                planned.append(Planned(path: "\(folder)/COPY_\(i).JPG", bytes: planned[original].bytes, kind: .duplicate(of: original), style: style))
            } else if i % 12 == 5 {
                switch (i / 12) % 3 {
                case 0:
                    planned.append(Planned(path: "\(folder)/IMG_\(i).JPG", bytes: DamagedFile.truncated(try fixtureJPEG(i, size: (320, 240)), keeping: 0.5),
                                           kind: .damaged(code: "truncated"), style: style))
                case 1:
                    planned.append(Planned(path: "\(folder)/note_\(i).jpg", bytes: DamagedFile.text("deck note \(i)\n"),
                                           kind: .damaged(code: "not-an-image"), style: .direct))
                default:
                    planned.append(Planned(path: "\(folder)/IMG_\(i).JPG", bytes: DamagedFile.pixelBomb(width: 50000, height: UInt16(40000 + i)),
                                           kind: .damaged(code: "too-many-pixels"), style: .direct))
                }
            } else {
                planned.append(Planned(path: "\(folder)/IMG_\(i).JPG", bytes: try fixtureJPEG(i, size: (320, 240)), kind: .good, style: style))
                goodIndices.append(i)
            }
        }
        return planned
    }

    func testSIGKILLDuringArrivalsLosesNothingAndCountsNothingTwice() throws {
        let station = try TempStation("crash")
        let planned = try plan(drop: station.drop)
        let args = ["--state-dir", station.state, "--watch", "\(station.drop)=crash-cam", "--workers", "2"]
        let logPath = station.root.appendingPathComponent("daemon.log").path

        // The producer writes the files with small random gaps while the daemon is killed.
        let producerDone = DispatchSemaphore(value: 0)
        let producer = Thread {
            var rng = SeededGenerator(seed: 7)
            for p in planned {
                try? DropFolderWriter.write(p.bytes, to: p.path, style: p.style)
                Thread.sleep(forTimeInterval: Double.random(in: 0...0.03, using: &rng))
            }
            producerDone.signal()
        }

        var daemon = try DaemonProcess(arguments: args, logPath: logPath)
        producer.start()
        var kills = 0
        var rng = SeededGenerator(seed: 99)
        var producing = true
        while producing || kills < 10 {
            Thread.sleep(forTimeInterval: Double.random(in: 0.3...0.9, using: &rng))
            daemon.kill9()
            kills += 1
            daemon = try DaemonProcess(arguments: args, logPath: logPath)
            if producing, producerDone.wait(timeout: .now()) == .success { producing = false }
        }
        XCTAssertGreaterThanOrEqual(kills, 10)

        let db = try station.database()
        let queries = StationQueries(database: db)
        let goods = planned.filter { if case .good = $0.kind { return true } else { return false } }
        let damaged = planned.filter { if case .damaged = $0.kind { return true } else { return false } }
        let duplicates = planned.count - goods.count - damaged.count
        try waitUntil(timeout: 120, "every file recorded and the queue drained") {
            let s = try queries.status()
            return s.photos.total + s.photos.duplicates == planned.count && s.photos.queued == 0 && s.photos.processing == 0
        }
        XCTAssertEqual(daemon.terminate(), 0, daemon.logTail())

        let s = try queries.status()
        XCTAssertEqual(s.photos.total, goods.count + damaged.count)
        XCTAssertEqual(s.photos.done, goods.count, "quarantined: \(s.quarantineReasons)")
        XCTAssertEqual(s.photos.quarantined, damaged.count)
        XCTAssertEqual(s.photos.failed, 0)
        XCTAssertEqual(s.photos.duplicates, duplicates)
        XCTAssertEqual(s.sightings, goods.count)

        // Each file exactly once, each content exactly once, with the right state.
        let files = try db.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT path, photo_sha256, is_duplicate FROM photo_file")
        }
        XCTAssertEqual(files.count, planned.count)
        XCTAssertEqual(Set(files.map { $0["path"] as String }), Set(planned.map(\.path)))
        let states = Dictionary(uniqueKeysWithValues: try queries.photos().map { ($0.sha256, ($0.state, $0.quarantineCode)) })
        for p in planned {
            let sha = PhotoID(digest: SHA256Digest.of(p.bytes)).hex
            switch p.kind {
            case .good, .duplicate:
                XCTAssertEqual(states[sha]?.0, "done", p.path)
            case .damaged(let code):
                XCTAssertEqual(states[sha]?.0, "quarantined", p.path)
                XCTAssertEqual(states[sha]?.1, code, p.path)
            }
        }
        // Within each group of identical bytes, exactly one file is the original.
        let groups = Dictionary(grouping: files, by: { $0["photo_sha256"] as String })
        for (sha, rows) in groups {
            XCTAssertEqual(rows.filter { !($0["is_duplicate"] as Bool) }.count, 1, sha)
        }
        let sightingsPerPhoto = try db.pool.read { try Int.fetchOne($0, sql: "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM sighting GROUP BY photo_sha256)") }
        XCTAssertEqual(sightingsPerPhoto, 1)
        XCTAssertEqual(try db.integrityCheck(), "ok")
        print("crash test: \(kills) SIGKILLs, \(planned.count) files, \(goods.count) photos done, \(duplicates) duplicates, \(damaged.count) quarantined")
    }
}

/// SplitMix64: reproducible randomness for the test's schedule.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// SHA-256 of fixture bytes, computed independently of the daemon's hasher.
enum SHA256Digest {
    static func of(_ bytes: [UInt8]) -> [UInt8] { Array(SHA256.hash(data: bytes)) }
}
