import Logging
import PostgresNIO

/// The hub's PostgreSQL schema: the same tables as the SQLite one (HubSchema), as named,
/// append-only migrations recorded in `hub_migration`. Every replica runs them at start; an
/// advisory lock makes the first one migrate and the others wait and then find nothing to do.
enum PostgresSchema {
    static let migrations: [(name: String, sql: [String])] = [
        ("v1-hub", v1),
    ]

    /// Any 64-bit number unique to this purpose: the lock replicas take while migrating.
    static let migrationLock: Int64 = 0x464C_554B_4D49_4752    // "FLUKMIGR"

    static func migrate(_ connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_lock(\(migrationLock))", logger: logger)
        do {
            try await connection.query("""
                CREATE TABLE IF NOT EXISTS hub_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                """, logger: logger)
            var applied = Set<String>()
            for try await name in try await connection.query("SELECT name FROM hub_migration", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for migration in migrations where !applied.contains(migration.name) {
                try await connection.query("BEGIN", logger: logger)
                do {
                    for statement in migration.sql {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO hub_migration (name) VALUES (\(migration.name))", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                logger.notice("applied database migration \(migration.name)")
            }
        } catch {
            _ = try? await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
            throw error
        }
        try await connection.query("SELECT pg_advisory_unlock(\(migrationLock))", logger: logger)
    }

    /// Column for column the SQLite schema; `arrival` stands in for SQLite's rowid where the
    /// order of arrival matters, and embeddings and crops are bytea.
    static let v1 = [
        // Tokens are kept only as SHA-256: a copy of the database does not let anyone sync.
        """
        CREATE TABLE principal (
            role text NOT NULL CHECK (role IN ('station','curator')),
            name text NOT NULL,
            token_sha256 text NOT NULL UNIQUE,
            created_at double precision NOT NULL,
            revoked_at double precision)
        """,
        // One live principal per role and name, enforced by the database for every replica.
        "CREATE UNIQUE INDEX principal_live ON principal(role, name) WHERE revoked_at IS NULL",
        // Every item a station sent, as received (canonical JSON): what idempotency compares against.
        """
        CREATE TABLE item (
            station text NOT NULL,
            item_id text NOT NULL,
            kind text NOT NULL,
            content text NOT NULL,
            received_at double precision NOT NULL,
            PRIMARY KEY (station, item_id))
        """,
        """
        CREATE TABLE sighting (
            station text NOT NULL,
            uuid text NOT NULL,
            photo_sha256 text NOT NULL,
            captured_at text NOT NULL,
            decision text NOT NULL,
            individual_id text,
            model_version text,
            embedding bytea,
            crop_sha256 text,
            review_state text NOT NULL DEFAULT 'open',
            reviewed_individual_id text,
            PRIMARY KEY (station, uuid))
        """,
        """
        CREATE TABLE review_decision (
            arrival bigserial NOT NULL,
            station text NOT NULL,
            uuid text NOT NULL,
            sighting_uuid text NOT NULL,
            action text NOT NULL,
            state text NOT NULL,
            individual_id text,
            decided_at text NOT NULL,
            PRIMARY KEY (station, uuid))
        """,
        "CREATE INDEX review_decision_sighting ON review_decision(station, sighting_uuid, arrival)",
        """
        CREATE TABLE individual (
            id text PRIMARY KEY,
            name text,
            created_at double precision NOT NULL,
            merged_into text REFERENCES individual(id))
        """,
        """
        CREATE TABLE candidate (
            seq bigserial PRIMARY KEY,
            station text NOT NULL,
            provisional_id text NOT NULL,
            name text,
            sighting_uuid text NOT NULL,
            created_at text NOT NULL,
            model_version text,
            embedding bytea,
            crop_sha256 text,
            status text NOT NULL DEFAULT 'open' CHECK (status IN ('open','promoted','merged','rejected')),
            individual_id text REFERENCES individual(id),
            reason text,
            UNIQUE (station, provisional_id))
        """,
        "CREATE INDEX candidate_status ON candidate(status, seq)",
        """
        CREATE TABLE crop (
            sha256 text PRIMARY KEY,
            bytes bytea NOT NULL,
            size integer NOT NULL,
            uploaded_by text NOT NULL,
            uploaded_at double precision NOT NULL)
        """,
        // The catalog's history, read by stations with a cursor (seq).
        """
        CREATE TABLE catalog_change (
            seq bigserial PRIMARY KEY,
            kind text NOT NULL,
            payload text NOT NULL,
            at text NOT NULL,
            curator text NOT NULL)
        """,
    ]
}
