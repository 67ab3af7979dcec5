import Foundation

/// The benchmark's command line; anything unknown stops it with what it expected.
struct BenchOptions {
    enum Backend {
        case sqlite
        case postgres(urlTemplate: String)

        var name: String {
            switch self {
            case .sqlite: "sqlite"
            case .postgres: "postgresql"
            }
        }
    }

    var hubBinary: String
    var stationCounts = [4, 16]
    var batchSize = 50
    var batches = 25
    var dimension = 256
    var backends: [Backend] = [.sqlite]

    init(_ arguments: [String]) throws {
        hubBinary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("flukewatch-hub").path
        var rest = arguments[...]
        while let flag = rest.popFirst() {
            guard let value = rest.popFirst() else { throw BenchError("\(flag) needs a value") }
            switch flag {
            case "--hub": hubBinary = value
            case "--stations":
                stationCounts = value.split(separator: ",").compactMap { Int($0) }
                guard !stationCounts.isEmpty, stationCounts.allSatisfy({ $0 > 0 }) else { throw BenchError("--stations expects e.g. 4,16") }
            case "--batch": batchSize = try Self.positive(flag, value)
            case "--batches": batches = try Self.positive(flag, value)
            case "--dimension": dimension = try Self.positive(flag, value)
            case "--postgres": backends.append(.postgres(urlTemplate: value))
            case "--no-sqlite": backends.removeAll { if case .sqlite = $0 { true } else { false } }
            default: throw BenchError("unknown option \(flag) (known: --hub, --stations, --batch, --batches, --dimension, --postgres, --no-sqlite)")
            }
        }
        guard FileManager.default.isExecutableFile(atPath: hubBinary) else {
            throw BenchError("no flukewatch-hub at \(hubBinary): build it (swift build -c release) or pass --hub PATH")
        }
    }

    static func positive(_ flag: String, _ value: String) throws -> Int {
        guard let n = Int(value), n > 0 else { throw BenchError("\(flag) expects a positive number, got \(value)") }
        return n
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
