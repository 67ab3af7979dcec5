import AsyncHTTPClient
import FlukeAPI
import Foundation
import NIOCore

// flukewatch-hub-bench: how many sightings per second a real `flukewatch-hub serve` accepts
// from N stations syncing at once (each sends its batches one after another, as a station
// does), with the latency of each batch request, on SQLite and on PostgreSQL. Not a test;
// run a release build (scripts/hub-bench.sh starts a PostgreSQL server for it):
//
//   flukewatch-hub-bench --hub .build/release/flukewatch-hub [--stations 4,16] [--batch 50]
//       [--batches 25] [--postgres 'postgres://user@127.0.0.1:5432/hub_bench_{n}']
//
// `{n}` in the URL becomes the station count, so every run starts from an empty database.

let options = try BenchOptions(Array(CommandLine.arguments.dropFirst()))
let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: {
    var c = HTTPClient.Configuration()
    c.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 256
    return c
}())
print("flukewatch-hub-bench: batches of \(options.batchSize) sightings (\(options.dimension)-float embeddings), \(options.batches) batches per station")
print("backend     stations  sightings  seconds  sightings/s  p50 ms  p99 ms  max ms")
for backend in options.backends {
    for stations in options.stationCounts {
        let result = try await runBenchmark(backend: backend, stations: stations, options: options, client: client)
        print(result.line)
    }
}
try await client.shutdown().get()
