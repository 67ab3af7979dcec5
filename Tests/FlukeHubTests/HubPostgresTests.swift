import FlukeAPI
import Foundation
import XCTest

/// The hub's protocol tests (idempotency and 409s, tokens 401/403, bad input 4xx, rate
/// limits) on PostgreSQL: the methods of HubProtocolTests, declared again here so that test
/// discovery lists them for this class, with the backend swapped.
final class HubProtocolPostgresTests: HubProtocolTests {
    override func makeBackend() throws -> HubBackend { .postgres(try PostgresCluster.shared()) }

    override func testResendIsANoOpAndChangedContentIs409NamingTheFields() async throws {
        try await super.testResendIsANoOpAndChangedContentIs409NamingTheFields()
    }

    override func testTokensAndBadInputAreRefusedWith4xxThatSayWhy() async throws {
        try await super.testTokensAndBadInputAreRefusedWith4xxThatSayWhy()
    }

    override func testEachTokenIsRateLimitedWith429AndRetryAfter() async throws {
        try await super.testEachTokenIsRateLimitedWith429AndRetryAfter()
    }
}

/// Stations syncing and curators promoting and merging, with the hub on PostgreSQL.
final class SyncEndToEndPostgresTests: SyncEndToEndTests {
    override func makeBackend() throws -> HubBackend { .postgres(try PostgresCluster.shared()) }

    override func testTwoStationsCandidatesBecomeOneGlobalIndividual() async throws {
        try await super.testTwoStationsCandidatesBecomeOneGlobalIndividual()
    }
}

/// A station's undo withdrawing its candidate, with the hub on PostgreSQL.
final class CandidateWithdrawalPostgresTests: CandidateWithdrawalTests {
    override func makeBackend() throws -> HubBackend { .postgres(try PostgresCluster.shared()) }

    override func testUndoneNewIndividualIsWithdrawnFromTheCuratorsList() async throws {
        try await super.testUndoneNewIndividualIsWithdrawnFromTheCuratorsList()
    }

    override func testUndoAfterPromotionLeavesTheCuratorsDecision() async throws {
        try await super.testUndoAfterPromotionLeavesTheCuratorsDecision()
    }
}
