import FlukeTestSupport
import Foundation
import XCTest

/// What an operator sees when the PostgreSQL URL or server is wrong: what, where, what to do.
final class HubPostgresConfigTests: XCTestCase {
    func serve(_ arguments: [String]) throws -> CommandResult {
        try runTool("flukewatch-hub", ["serve", "--listen", "127.0.0.1:0"] + arguments)
    }

    func testBadURLsAndUnreachableServersSayWhatWhereAndWhatToDo() throws {
        let notPostgres = try serve(["--postgres", "mysql://hub@db.example.org/hub"])
        XCTAssertNotEqual(notPostgres.status, 0)
        XCTAssertTrue(notPostgres.stderr.contains("must start with postgres://"), notPostgres.stderr)

        let noDatabase = try serve(["--postgres", "postgres://hub@db.example.org:5432"])
        XCTAssertTrue(noDatabase.stderr.contains("names no database"), noDatabase.stderr)

        let badPort = try serve(["--postgres", "postgres://hub:secret@db.example.org:99999/hub"])
        XCTAssertTrue(badPort.stderr.contains("port"), badPort.stderr)
        XCTAssertFalse(badPort.stderr.contains("secret"), "never the password: \(badPort.stderr)")

        let both = try serve(["--postgres", "postgres://hub@localhost/hub", "--db", "/tmp/x.sqlite"])
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)

        // Nobody listens on this port: the error names the server and what to check.
        let port = try PostgresCluster.freePort()
        let refused = try serve(["--postgres", "postgres://hub:secret@127.0.0.1:\(port)/hub?sslmode=disable"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("cannot connect to PostgreSQL at postgres://hub@127.0.0.1:\(port)/hub"), refused.stderr)
        XCTAssertTrue(refused.stderr.contains("pg_isready"), refused.stderr)
        XCTAssertFalse(refused.stderr.contains("secret"), refused.stderr)

        // A real server without that database says so, and how to create it.
        let cluster = try PostgresCluster.shared()
        let missing = try serve(["--postgres", "postgres://\(PostgresCluster.user)@127.0.0.1:\(cluster.port)/nope?sslmode=disable"])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("database \"nope\" does not exist"), missing.stderr)
        XCTAssertTrue(missing.stderr.contains("createdb nope"), missing.stderr)
    }
}
