@testable import FlukeStation
import FlukeTestSupport
import Foundation
import Logging
import XCTest

/// The journal fields, the message catalog and the shipped systemd files.
final class JournalAndUnitFileTests: XCTestCase {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardizedFileURL

    func testLogMetadataBecomesJournalFields() {
        let fields = JournalLogHandler.fields(
            message: "sighting 7 from photo abc", level: .info,
            metadata: ["event": "sighting", "photo_sha256": "abc", "photo_path": "/drop/a.jpg", "camera": "bow",
                       "sighting_id": "7", "decision": "match", "individual_id": "HW-0042", "score": "0.91", "_bad": "x"],
            identifier: "flukewatch")
        for expected in ["MESSAGE=sighting 7 from photo abc", "PRIORITY=6", "SYSLOG_IDENTIFIER=flukewatch",
                         "FLUKEWATCH_EVENT=sighting", "MESSAGE_ID=\(StationEvent.sighting.messageID)",
                         "PHOTO_SHA256=abc", "PHOTO_PATH=/drop/a.jpg", "CAMERA=bow", "SIGHTING_ID=7",
                         "DECISION=match", "INDIVIDUAL_ID=HW-0042", "SCORE=0.91"] {
            XCTAssertTrue(fields.contains(expected), "missing \(expected) in \(fields)")
        }
        XCTAssertFalse(fields.contains { $0.hasPrefix("_") }, "fields starting with _ are reserved for journald")
        XCTAssertEqual(JournalLogHandler.priority(.warning), 4)
        XCTAssertEqual(JournalLogHandler.priority(.critical), 2)
    }

    func testEveryEventHasACatalogEntry() throws {
        let catalog = try String(contentsOf: repo.appendingPathComponent("systemd/flukewatch.catalog"), encoding: .utf8)
        let ids = catalog.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)) }
        XCTAssertEqual(Set(ids), Set(StationEvent.allCases.map(\.messageID)))
        XCTAssertEqual(ids.count, Set(ids).count, "duplicate catalog ids")
        for id in ids {
            XCTAssertEqual(id.count, 32)
            XCTAssertTrue(id.allSatisfy(\.isHexDigit), id)
        }
        XCTAssertEqual(catalog.components(separatedBy: "\nSubject: ").count - 1, ids.count)
    }

    /// `systemd-analyze verify` exits 0 even on typos, so any output at all fails the test.
    func testUnitVerifiesWithoutAnyWarning() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fw-verify-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // The installed binary path is the only change: point it at the binary this test built.
        let unit = try String(contentsOf: repo.appendingPathComponent("systemd/flukewatch.service"), encoding: .utf8)
            .replacingOccurrences(of: "/usr/bin/flukewatch", with: FlukeWatchBinary.path)
        try unit.write(to: dir.appendingPathComponent("flukewatch.service"), atomically: true, encoding: .utf8)
        let r = try runTool("/usr/bin/systemd-analyze", ["verify", dir.appendingPathComponent("flukewatch.service").path])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.stdout + r.stderr, "", "systemd-analyze verify printed warnings")
    }

    func testUnitExposureIsAtMostTwo() throws {
        let r = try runTool("/usr/bin/systemd-analyze", ["security", "--offline=true", repo.appendingPathComponent("systemd/flukewatch.service").path])
        let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains("Overall exposure level") }, r.stdout + r.stderr)
        let score = try XCTUnwrap(line.split(separator: " ").compactMap { Double($0) }.first, String(line))
        XCTAssertLessThanOrEqual(score, 2.0, String(line))
        let unit = try String(contentsOf: repo.appendingPathComponent("systemd/flukewatch.service"), encoding: .utf8)
        for needed in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=flukewatch",
                       "ConfigurationDirectory=flukewatch", "ProtectSystem=strict", "User=flukewatch", "ExecReload="] {
            XCTAssertTrue(unit.contains(needed), "unit lacks \(needed)")
        }
    }

    func testSysusersAndTmpfilesCreateTheUserAndFolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("fw-root-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        let users = try runTool("/usr/bin/systemd-sysusers", ["--root=\(root.path)", repo.appendingPathComponent("systemd/flukewatch.sysusers.conf").path])
        XCTAssertEqual(users.status, 0, users.stderr)
        let passwd = try String(contentsOf: root.appendingPathComponent("etc/passwd"), encoding: .utf8)
        XCTAssertTrue(passwd.contains("flukewatch:x:"), passwd)
        let tmp = try runTool("/usr/bin/systemd-tmpfiles", ["--root=\(root.path)", "--create", repo.appendingPathComponent("systemd/flukewatch.tmpfiles.conf").path])
        XCTAssertEqual(tmp.status, 0, tmp.stderr)
        var isDir: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("srv/flukewatch/drop/bow-camera").path, isDirectory: &isDir) && isDir.boolValue)
    }

    func runTool(_ path: String, _ args: [String]) throws -> CommandResult {
        try ProcessRun.toCompletion(path, args)
    }
}
