import FlukeAPI
import Foundation

/// Everything the hub keeps, behind one protocol so the server does not care where: embedded
/// SQLite (the default, one file) or PostgreSQL (several hub replicas on one database).
///
/// Every method is one transaction: a batch, a crop or a curator action is stored whole or not at all.
public protocol HubStorage: Sendable {
    // MARK: Tokens
    /// The live principal whose token has this SHA-256, nil for unknown or revoked tokens.
    func principal(tokenSHA256: String) async throws -> Principal?
    /// Registers a principal; fails with `.conflict` if a live one of that role and name exists.
    func addPrincipal(_ principal: Principal, tokenSHA256: String) async throws
    /// Revokes a principal's token; false when there was no live one.
    func revokePrincipal(_ principal: Principal) async throws -> Bool
    func principals() async throws -> [PrincipalListing]

    // MARK: Stations
    /// Stores a batch from `station`, all or nothing.
    func submit(_ batch: Batch, station: String) async throws -> SubmitOutcome
    func hasCrop(sha256: String) async throws -> Bool
    /// Stores verified crop bytes; false when they were already held.
    func putCrop(sha256: String, bytes: Data, uploadedBy: String) async throws -> Bool
    func crop(sha256: String) async throws -> Data?

    // MARK: Catalog
    func changes(after cursor: Int64, limit: Int) async throws -> ChangePage
    func candidates(status: CandidateStatus?, after cursor: Int64, limit: Int) async throws -> CandidatePage
    func candidateGroups(minSimilarity: Double) async throws -> CandidateGroups
    func promote(_ request: PromoteRequest, curator: String) async throws -> CuratorResult
    func mergeCandidate(_ request: MergeCandidateRequest, curator: String) async throws -> CuratorResult
    func mergeIndividuals(_ request: MergeIndividualsRequest, curator: String) async throws -> CuratorResult
    func reject(_ request: RejectRequest, curator: String) async throws -> CuratorResult

    // MARK: Operators and tests
    func itemCounts() async throws -> [String: Int]
}

/// Who a token belongs to. A station may write only as itself; a curator edits the catalog.
public struct Principal: Sendable, Hashable, CustomStringConvertible {
    public enum Role: String, Sendable, CaseIterable { case station, curator }

    public var role: Role
    public var name: String

    public init(role: Role, name: String) {
        self.role = role
        self.name = name
    }

    public var description: String { "\(role.rawValue) \(name)" }
}

public struct PrincipalListing: Sendable, Equatable {
    public var principal: Principal
    public var createdAt: Date
    public var revokedAt: Date?
}

public enum SubmitOutcome: Sendable, Equatable {
    case stored(BatchResult)
    /// Nothing was stored: these ids are held with other content.
    case conflicts([ItemConflict])
}

/// A request that does not fit what the hub holds; mapped to 404, 409 or 400 with its message.
public enum StorageError: Error, Sendable, Equatable, CustomStringConvertible {
    case notFound(String)
    case conflict(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .notFound(let m), .conflict(let m), .invalid(let m): m
        }
    }
}
