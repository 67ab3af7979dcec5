import Crypto
import FlukeFixtures
import FlukeStation
import FlukeStore
import FlukeVision
import Foundation
import GRDB
import XCTest

/// The review web page over real HTTP on 127.0.0.1 (`flukewatch review serve`): login and
/// token, CSRF and origin checks, decisions through the review log, error pages, and images
/// served by id only.
final class ReviewWebServerTests: XCTestCase {
    let token = "correct horse battery"

    func start(_ s: ReviewedStation, extra: String = "") throws -> (ReviewServer, RawHTTP) {
        let config = s.station.root.appendingPathComponent("web.toml").path
        try "[station]\nid = \"boat\"\n[review]\nweb_token = \"\(token)\"\n\(extra)".write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ReviewServer(arguments: ["--config", config] + s.stateArguments)
        return (server, try RawHTTP(url: server.url))
    }

    /// Logs in and returns the session cookie and the page's CSRF token.
    func login(_ http: RawHTTP, as reviewer: String = "ana") throws -> (cookie: String, csrf: String) {
        let r = try http.post("/login", form: [("reviewer", reviewer), ("token", token)])
        XCTAssertEqual(r.status, 303, r.text)
        let cookie = try XCTUnwrap(r.cookie)
        let page = try http.get("/catalog", cookie: cookie)
        let csrf = try XCTUnwrap(page.text.range(of: #"name="csrf" value="([0-9a-f]+)""#, options: .regularExpression).map {
            String(page.text[$0].split(separator: "\"")[3])
        })
        return (cookie, csrf)
    }

    func testPagesNeedALoginWithTheStationPassword() throws {
        let s = try ReviewedStation("web-login")
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        XCTAssertEqual(try http.get("/").status, 303)
        XCTAssertEqual(try http.get("/").header("Location"), "/login")
        XCTAssertEqual(try http.get("/images/sighting/\(s.match)").status, 401)
        XCTAssertTrue(try http.get("/login").text.contains("name=\"token\""), "a password field when a token is set")

        let wrong = try http.post("/login", form: [("reviewer", "ana"), ("token", "guess")])
        XCTAssertEqual(wrong.status, 401)
        XCTAssertTrue(wrong.text.contains("Wrong station password"), wrong.text)
        XCTAssertNil(wrong.header("Set-Cookie"))
        XCTAssertEqual(try http.post("/login", form: [("reviewer", "auto"), ("token", token)]).status, 400)

        let ok = try http.post("/login", form: [("reviewer", "ana"), ("token", token)])
        XCTAssertEqual(ok.status, 303)
        let setCookie = try XCTUnwrap(ok.header("Set-Cookie"))
        XCTAssertTrue(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), setCookie)
        // The queue opens on the most urgent sighting: the uncertain one.
        let queue = try http.get("/", cookie: ok.cookie)
        XCTAssertEqual(queue.header("Location"), "/sightings/\(s.uncertain)")
        let page = try http.get("/sightings/\(s.uncertain)", cookie: ok.cookie)
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.text.contains("Pepper") && page.text.contains("0.700") && page.text.contains("uncertain"), page.text)
        XCTAssertTrue(page.header("Content-Security-Policy")?.contains("script-src 'nonce-") == true)
        XCTAssertTrue(page.text.contains("<kbd>N</kbd> new individual"), "shortcuts are shown on the page")
        XCTAssertEqual(server.stop(), 0, "SIGTERM stops it cleanly")
    }

    func testDecisionsNeedTheSessionsCSRFTokenAndGoThroughTheReviewLog() throws {
        let s = try ReviewedStation("web-decide")
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        let (cookie, csrf) = try login(http)

        let forged = try http.post("/sightings/\(s.uncertain)/confirm", form: [("csrf", "0000")], cookie: cookie)
        XCTAssertEqual(forged.status, 403)
        XCTAssertTrue(forged.text.contains("nothing was recorded"), forged.text)
        let crossSite = try http.post("/sightings/\(s.uncertain)/confirm", form: [("csrf", csrf)], cookie: cookie, origin: "http://evil.example")
        XCTAssertEqual(crossSite.status, 403)
        XCTAssertEqual(try http.post("/sightings/\(s.uncertain)/confirm", form: [("csrf", csrf)]).status, 401, "no session")
        XCTAssertEqual(try s.row(s.uncertain)["review_state"] as String, "open")

        // Reassigned by name, from a same-origin page: recorded with the reviewer, then the next open one.
        let confirm = try http.post("/sightings/\(s.uncertain)/confirm", form: [("csrf", csrf), ("individual", "salt")],
                                    cookie: cookie, origin: "http://127.0.0.1:\(http.port)")
        XCTAssertEqual(confirm.status, 303, confirm.text)
        XCTAssertEqual(confirm.header("Location"), "/sightings/\(s.new)?last=\(s.uncertain)")
        let row = try s.row(s.uncertain)
        XCTAssertEqual(row["review_state"] as String, "confirmed")
        XCTAssertEqual(row["individual_id"] as String?, "HW-1")
        XCTAssertEqual(row["reviewed_by"] as String?, "ana")
        XCTAssertEqual(try s.decisions().last?["action"] as String?, "reassign")
        XCTAssertEqual(try s.outboxKinds(), ["review-decision"])
        let next = try http.get("/sightings/\(s.new)?last=\(s.uncertain)", cookie: cookie)
        XCTAssertTrue(next.text.contains("Sighting #\(s.uncertain) assigned to HW-1 (Salt) by ana."), next.text)

        let again = try http.post("/sightings/\(s.uncertain)/confirm", form: [("csrf", csrf)], cookie: cookie)
        XCTAssertEqual(again.status, 409)
        XCTAssertTrue(again.text.contains("press Undo"), again.text)
        let unknown = try http.post("/sightings/\(s.new)/confirm", form: [("csrf", csrf), ("individual", "Moby")], cookie: cookie)
        XCTAssertEqual(unknown.status, 400)
        XCTAssertTrue(unknown.text.contains("No individual with the id or name &quot;Moby&quot;"), unknown.text)
        XCTAssertEqual(try http.post("/sightings/999/reject", form: [("csrf", csrf), ("reason", "no fluke")], cookie: cookie).status, 404)

        let reject = try http.post("/sightings/\(s.new)/reject", form: [("csrf", csrf), ("reason", "no fluke")], cookie: cookie)
        XCTAssertEqual(reject.status, 303)
        XCTAssertEqual(try s.row(s.new)["reject_reason"] as String?, "no fluke")
        let undo = try http.post("/sightings/\(s.new)/undo", form: [("csrf", csrf)], cookie: cookie)
        XCTAssertEqual(undo.header("Location"), "/sightings/\(s.new)?last=\(s.new)")
        XCTAssertEqual(try s.row(s.new)["review_state"] as String, "open")
        XCTAssertEqual(try s.decisions().map { $0["action"] as String }, ["reassign", "reject", "undo"])

        let out = try http.post("/logout", form: [("csrf", csrf)], cookie: cookie)
        XCTAssertEqual(out.status, 303)
        XCTAssertEqual(try http.get("/sightings/\(s.new)", cookie: cookie).header("Location"), "/login", "the session is gone")
    }

    /// A burst is one whale: the encounter header decides every open photo at once, through the
    /// review log (one decision per photo), and its Undo reopens them all.
    func testAnEncounterIsDecidedAndReopenedFromItsHeader() throws {
        let s = try ReviewedStation("web-encounter")
        let encounter = try s.encounter([s.match, s.uncertain, s.new], call: "HW-1")
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        let (cookie, csrf) = try login(http)
        let members = [s.match, s.uncertain, s.new]

        let page = try http.get("/sightings/\(s.uncertain)", cookie: cookie)
        XCTAssertTrue(page.text.contains("action=\"/encounters/\(encounter)/confirm\""), page.text)
        XCTAssertTrue(page.text.contains("Confirm all 3 open photos as HW-1 (Salt)"), page.text)
        XCTAssertFalse(try http.get("/sightings/\(s.secondMatch)", cookie: cookie).text.contains("/encounters/"),
                       "a photo alone in its encounter has no encounter buttons")

        XCTAssertEqual(try http.post("/encounters/\(encounter)/confirm", form: [("csrf", "0000")], cookie: cookie).status, 403)
        XCTAssertEqual(try http.post("/encounters/99/confirm", form: [("csrf", csrf)], cookie: cookie).status, 404)
        XCTAssertEqual(try members.map { try s.row($0)["review_state"] as String }, ["open", "open", "open"])

        let confirm = try http.post("/encounters/\(encounter)/confirm", form: [("csrf", csrf), ("individual", "HW-1")], cookie: cookie)
        XCTAssertEqual(confirm.status, 303, confirm.text)
        XCTAssertEqual(confirm.header("Location"), "/sightings/\(s.secondMatch)?encounter=\(encounter)")
        XCTAssertEqual(try members.map { try s.row($0)["individual_id"] as String? }, ["HW-1", "HW-1", "HW-1"])
        XCTAssertEqual(try s.decisions().map { $0["reviewer"] as String }, ["ana", "ana", "ana"])
        let next = try http.get("/sightings/\(s.secondMatch)?encounter=\(encounter)", cookie: cookie)
        XCTAssertTrue(next.text.contains("Encounter #\(encounter): 3 confirmed as HW-1 (Salt)."), next.text)
        XCTAssertTrue(next.text.contains("action=\"/encounters/\(encounter)/undo\""), next.text)
        let twice = try http.post("/encounters/\(encounter)/new", form: [("csrf", csrf)], cookie: cookie)
        XCTAssertEqual(twice.status, 409)
        XCTAssertTrue(twice.text.contains("already decided"), twice.text)

        let undo = try http.post("/encounters/\(encounter)/undo", form: [("csrf", csrf)], cookie: cookie)
        XCTAssertEqual(undo.status, 303, undo.text)
        XCTAssertEqual(undo.header("Location"), "/sightings/\(s.match)?encounter=\(encounter)&undone=1")
        XCTAssertEqual(try members.map { try s.row($0)["review_state"] as String }, ["open", "open", "open"])
        let reopened = try http.get("/sightings/\(s.match)?encounter=\(encounter)&undone=1", cookie: cookie)
        XCTAssertTrue(reopened.text.contains("Encounter #\(encounter) reopened: 3 open."), reopened.text)
        XCTAssertEqual(try s.outboxKinds(), Array(repeating: "review-decision", count: 6))
    }

    func testTextFromTheDatabaseAndTheLoginIsEscaped() throws {
        let s = try ReviewedStation("web-escape")
        try s.database.pool.write { try $0.execute(sql: "UPDATE individual SET name = '<img src=x onerror=alert(1)>' WHERE id = 'HW-2'") }
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        let (cookie, _) = try login(http, as: "<script>alert(2)</script>")
        let page = try http.get("/sightings/\(s.uncertain)", cookie: cookie).text
        XCTAssertFalse(page.contains("<img src=x"), "a name is text, not markup")
        XCTAssertTrue(page.contains("&lt;img src=x onerror=alert(1)&gt;"))
        XCTAssertFalse(page.contains("<script>alert(2)"))
        XCTAssertTrue(page.contains("&lt;script&gt;alert(2)&lt;/script&gt;"))
    }

    func testImagesAreServedByIDOnlyNeverByPath() throws {
        let s = try ReviewedStation("web-images")
        // A real thumbnail for one sighting, a recorded path that escapes the thumbnail folder for another.
        let thumbnail = try fixtureJPEG(3)
        let relative = "thumbnails/ab/\(String(repeating: "ab", count: 32)).jpg"
        try DropFolderWriter.write(thumbnail, to: "\(s.station.state)/\(relative)", style: .direct)
        // A catalog photo on disk (its hash matches), one that is gone, and one whose path is a system file.
        let photo = s.station.root.appendingPathComponent("catalog/HW1.jpg").path
        let photoBytes = try fixtureJPEG(5)
        try DropFolderWriter.write(photoBytes, to: photo, style: .direct)
        let sha = SHA256.hash(data: photoBytes).map { String(format: "%02x", $0) }.joined()
        try s.database.pool.write { db in
            try db.execute(sql: "UPDATE photo SET thumbnail_path = ? WHERE sha256 = (SELECT photo_sha256 FROM sighting WHERE id = ?)",
                           arguments: [relative, s.match])
            try db.execute(sql: "UPDATE photo SET thumbnail_path = '../../../../../../etc/passwd' WHERE sha256 = (SELECT photo_sha256 FROM sighting WHERE id = ?)",
                           arguments: [s.uncertain])
            for (sha, path) in [(sha, photo), (String(repeating: "cd", count: 32), "/nowhere/HW1.jpg"), (String(repeating: "ef", count: 32), "/etc/passwd")] {
                try db.execute(sql: "INSERT INTO catalog_photo (individual_id, sha256, source_path, imported_at) VALUES ('HW-1', ?, ?, 0)",
                               arguments: [sha, path])
            }
        }
        let ids = try s.database.pool.read { try Int64.fetchAll($0, sql: "SELECT id FROM catalog_photo ORDER BY id") }
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        let (cookie, _) = try login(http)

        let served = try http.get("/images/sighting/\(s.match)", cookie: cookie)
        XCTAssertEqual(served.status, 200)
        XCTAssertEqual(served.header("Content-Type"), "image/jpeg")
        XCTAssertEqual(served.body, thumbnail)
        let escaped = try http.get("/images/sighting/\(s.uncertain)", cookie: cookie)
        XCTAssertEqual(escaped.header("X-FlukeWatch-Placeholder"), "1", "a recorded path outside thumbnails/ is not served")
        XCTAssertFalse(escaped.text.contains("root:"))

        let catalog = try http.get("/images/catalog/\(ids[0])", cookie: cookie)
        XCTAssertEqual(catalog.header("Content-Type"), "image/jpeg")
        XCTAssertEqual(Array(catalog.body.prefix(2)), [0xFF, 0xD8])
        XCTAssertLessThan(catalog.body.count, photoBytes.count, "a thumbnail, not the original")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.station.state)/thumbnails/catalog/\(sha.prefix(2))/\(sha).jpg"))
        for id in ids[1...] {
            let r = try http.get("/images/catalog/\(id)", cookie: cookie)
            XCTAssertEqual(r.header("X-FlukeWatch-Placeholder"), "1", "catalog photo \(id)")
            XCTAssertFalse(r.text.contains("root:"))
        }
        for attack in ["/images/sighting/..%2F..%2F..%2Fetc%2Fpasswd", "/images/sighting/../../../etc/passwd",
                       "/images/catalog/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/images/../../../../etc/passwd",
                       "/images/catalog/1%00.jpg", "/thumbnails/ab/\(String(repeating: "ab", count: 32)).jpg",
                       "/images/sighting/-1", "/etc/passwd", "/..%2f..%2fetc%2fpasswd"] {
            let r = try http.get(attack, cookie: cookie)
            XCTAssertTrue([400, 404].contains(r.status) || r.header("X-FlukeWatch-Placeholder") == "1", "\(attack): \(r.status)")
            XCTAssertFalse(r.text.contains("root:"), attack)
            XCTAssertNotEqual(r.body, thumbnail, attack)
        }
    }

    /// Query and candidates are compared as fluke crops in one 4:3 frame, cut from the originals
    /// on first view and cached; a sighting whose original is gone falls back to its thumbnail.
    func testFlukeCropsShareOneFrameAndFallBackToTheThumbnail() throws {
        let s = try ReviewedStation("web-crops")
        let thumbnail = try fixtureJPEG(3)
        let relative = "thumbnails/ab/\(String(repeating: "ab", count: 32)).jpg"
        try DropFolderWriter.write(thumbnail, to: "\(s.station.state)/\(relative)", style: .direct)
        let photoBytes = try FixturePhoto(width: 1600, height: 1200, individualSeed: 4, sceneSeed: 9).jpegBytes()
        let sha = SHA256.hash(data: photoBytes).map { String(format: "%02x", $0) }.joined()
        var ids: [Int64] = []
        for crop in ["fluke", "none"] {
            let path = s.station.root.appendingPathComponent("catalog/\(crop)/HW1.jpg").path
            try DropFolderWriter.write(photoBytes, to: path, style: .direct)
            try s.database.pool.write { db in
                try db.execute(sql: "INSERT INTO catalog_photo (individual_id, sha256, source_path, imported_at) VALUES ('HW-1', ?, ?, 0)",
                               arguments: [crop == "fluke" ? sha : String(repeating: "0", count: 63) + "1", path])
                ids.append(db.lastInsertedRowID)
                try db.execute(sql: "INSERT INTO embedding (catalog_photo_id, model_version, dimension, vector, crop) VALUES (?, 'm', 1, x'00000000', ?)",
                               arguments: [db.lastInsertedRowID, crop])
            }
        }
        try s.database.pool.write { db in
            try db.execute(sql: "UPDATE photo SET thumbnail_path = ? WHERE sha256 = (SELECT photo_sha256 FROM sighting WHERE id = ?)",
                           arguments: [relative, s.match])
        }
        let (server, http) = try start(s)
        defer { _ = server.stop() }
        let (cookie, _) = try login(http)

        let crop = try http.get("/images/catalog/\(ids[0])/crop", cookie: cookie)
        XCTAssertEqual(crop.header("Content-Type"), "image/jpeg")
        let image = try PhotoDecoder.decode(crop.body)
        XCTAssertEqual([image.width, image.height], [320, 240], "the thumbnails' width, 4:3")
        XCTAssertTrue(FileManager.default.fileExists(atPath: "\(s.station.state)/crops/catalog/\(sha.prefix(2))/\(sha).jpg"))
        let whole = try http.get("/images/catalog/\(ids[0])", cookie: cookie)
        XCTAssertNotEqual(crop.body, whole.body, "a crop of the fluke, not the whole-frame thumbnail")
        // The second catalog row's hash does not match its file: never served.
        XCTAssertEqual(try http.get("/images/catalog/\(ids[1])/crop", cookie: cookie).header("X-FlukeWatch-Placeholder"), "1")

        // The sighting's original (/drop/bow/IMG_0001.JPG) does not exist: its thumbnail stands in.
        XCTAssertEqual(try http.get("/images/sighting/\(s.match)/crop", cookie: cookie).body, thumbnail)
        XCTAssertEqual(try http.get("/images/sighting/\(s.new)/crop", cookie: cookie).header("X-FlukeWatch-Placeholder"), "1")
        let page = try http.get("/sightings/\(s.uncertain)", cookie: cookie)
        XCTAssertTrue(page.text.contains("/images/sighting/\(s.uncertain)/crop"), "the query is shown as its crop")
    }

    /// A free port on 127.0.0.1, found by binding port 0 and letting it go again.
    func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func testTheDaemonServesThePageInItsServiceGroupWhenConfigured() throws {
        let station = try TempStation("web-daemon")
        var config = station.config()
        let port = try freePort()
        config.review.webListen = ReviewWebAddress(host: "127.0.0.1", port: port)
        let daemon = try InProcessDaemon(config)
        let http = try RawHTTP(url: "http://127.0.0.1:\(port)/")
        var login: RawHTTP.Reply?
        waitUntil(timeout: 20, "the review page") {
            login = try? http.get("/login")
            return login != nil
        }
        XCTAssertEqual(login?.status, 200)
        XCTAssertFalse(login?.text.contains("name=\"token\"") ?? true, "loopback without a token: only a name is asked")
        try daemon.stop()
        XCTAssertThrowsError(try http.get("/login"), "SIGTERM's graceful shutdown stops the page with the pipeline")
    }

    func testAnAddressOthersCanReachNeedsAToken() throws {
        let s = try ReviewedStation("web-refuse")
        let r = try runFlukeWatch(["review", "serve", "--listen", "0.0.0.0:0"] + s.stateArguments)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("refusing to serve the review page on 0.0.0.0:0"), r.stderr)
        XCTAssertTrue(r.stderr.contains("web_token"), r.stderr)

        func parse(_ text: String) throws -> StationConfig { try ConfigLoader.parse(text, file: "f.toml") }
        XCTAssertNil(try parse("[review]\n").review.webListen, "off by default")
        XCTAssertEqual(try parse("[review]\nweb_listen = \"127.0.0.1:8088\"\n").review.webListen, ReviewWebAddress(host: "127.0.0.1", port: 8088))
        XCTAssertEqual(try parse("[review]\nweb_listen = \"[::1]:8088\"\n").review.webListen?.isLoopback, true)
        XCTAssertNotNil(try parse("[review]\nweb_listen = \"0.0.0.0:8088\"\nweb_token = \"long enough\"\n").review.webListen)
        for (text, key, line, words) in [("[review]\nweb_listen = \"0.0.0.0:8088\"\n", "review.web_listen", 2, "without a token"),
                                         ("[review]\nweb_listen = \"192.168.1.5:8088\"\nweb_token = \"short\"\n", "review.web_token", 3, "at least 8"),
                                         ("[review]\nweb_listen = \"8088\"\n", "review.web_listen", 2, "HOST:PORT"),
                                         ("[review]\nweb_listen = \"127.0.0.1:0\"\n", "review.web_listen", 2, "HOST:PORT")] {
            XCTAssertThrowsError(try parse(text)) { error in
                let e = error as? ConfigError
                XCTAssertEqual(e?.key, key, text)
                XCTAssertTrue(e?.message.contains(words) == true, "\(text): \(String(describing: e))")
                XCTAssertEqual(e?.line, line, text)
            }
        }
    }
}
