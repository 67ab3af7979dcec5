import Foundation

// flukewatch-bench: prints the figures the station is judged by. Not a test: nothing here
// passes or fails; run it in release mode:
//   swift build -c release && .build/release/flukewatch-bench [intake|identify|all] [--photos=N] [--keep]

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first { !$0.hasPrefix("--") } ?? "all"
let photoCount = arguments.first(where: { $0.hasPrefix("--photos=") }).flatMap { Int($0.dropFirst(9)) } ?? 200
let keep = arguments.contains("--keep")

if mode == "intake" || mode == "all" {
    print("=== intake ===")
    try intakeBenchmark(photoCount: photoCount, keep: keep)
}
if mode == "identify" || mode == "all" {
    print("\n=== identification ===")
    try identificationBenchmark(keep: keep)
}
