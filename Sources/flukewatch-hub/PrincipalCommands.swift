import ArgumentParser
import FlukeHub
import Foundation

/// `flukewatch-hub station add|revoke|list` and `curator add|revoke|list`.
struct StationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "station", abstract: "Give a station a token, revoke it, or list stations.",
        subcommands: [Add<StationRole>.self, Revoke<StationRole>.self, List.self])
}

struct CuratorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "curator", abstract: "Give a curator a token, revoke it, or list tokens.",
        subcommands: [Add<CuratorRole>.self, Revoke<CuratorRole>.self, List.self])
}

protocol RoleKind { static var role: Principal.Role { get } }
enum StationRole: RoleKind { static let role = Principal.Role.station }
enum CuratorRole: RoleKind { static let role = Principal.Role.curator }

struct Add<R: RoleKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "add", abstract: "Create a \(R.role.rawValue) and print its bearer token (shown once; the hub keeps only its SHA-256).")
    }

    @OptionGroup var hub: HubOptions
    @Argument(help: "The name; for a station, its [station] id.") var name: String

    func run() async throws {
        guard name.wholeMatch(of: /[A-Za-z0-9][A-Za-z0-9._-]{0,63}/) != nil else {
            throw ValidationError("a name is 1–64 letters, digits, '.', '_' or '-' (starting with a letter or digit); got \"\(name)\"")
        }
        let storage = try await hub.open().storage
        let token = Tokens.generate()
        do {
            try await storage.addPrincipal(Principal(role: R.role, name: name), tokenSHA256: Tokens.sha256Hex(token))
        } catch {
            throw HubCLIError("\(error)")
        }
        print(token)
        let hint = R.role == .station
            ? "put it in the station's flukewatch.toml: [hub] token = \"…\""
            : "send it as Authorization: Bearer … on /v1/curator/ routes"
        FileHandle.standardError.write(Data("\(R.role.rawValue) \(name) added; the token above is shown only now: \(hint)\n".utf8))
    }
}

struct Revoke<R: RoleKind>: AsyncParsableCommand {
    static var configuration: CommandConfiguration {
        CommandConfiguration(commandName: "revoke", abstract: "Revoke a \(R.role.rawValue)'s token at once (its requests get 401).")
    }

    @OptionGroup var hub: HubOptions
    @Argument var name: String

    func run() async throws {
        let storage = try await hub.open().storage
        guard try await storage.revokePrincipal(Principal(role: R.role, name: name)) else {
            throw HubCLIError("no live \(R.role.rawValue) \(name); `flukewatch-hub \(R.role.rawValue) list` shows them")
        }
        print("\(R.role.rawValue) \(name) revoked; `flukewatch-hub \(R.role.rawValue) add \(name)` issues a new token")
    }
}

struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List stations and curators with their token's state.")

    @OptionGroup var hub: HubOptions

    func run() async throws {
        let formatter = ISO8601DateFormatter()
        for p in try await hub.open().storage.principals() {
            let state = p.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "live"
            print("\(p.principal.role.rawValue)\t\(p.principal.name)\tcreated \(formatter.string(from: p.createdAt))\t\(state)")
        }
    }
}
