import Foundation

// flukewatch-bench: prints the figures the station is judged by. Not a test: nothing here
// passes or fails; run it in release mode:
//   swift build -c release && .build/release/flukewatch-bench [intake|identify|photo|all] [--photos=N] [--keep]

let arguments = Array(CommandLine.arguments.dropFirst())
let mode = arguments.first { !$0.hasPrefix("--") } ?? "all"
let photoCount = arguments.first(where: { $0.hasPrefix("--photos=") }).flatMap { Int($0.dropFirst(9)) } ?? 200
let keep = arguments.contains("--keep")
let modes = ["intake", "identify", "photo", "all"]
let usage = "usage: flukewatch-bench [\(modes.joined(separator: "|"))] [--photos=N] [--keep]"

if arguments.contains("--help") || arguments.contains("-h") {
    print(usage)
    exit(0)
}
guard modes.contains(mode) else {
    FileHandle.standardError.write(Data("flukewatch-bench: unknown benchmark '\(mode)'\n\(usage)\n".utf8))
    exit(2)
}

if mode == "intake" || mode == "all" {
    print("=== intake ===")
    try intakeBenchmark(photoCount: photoCount, keep: keep)
}
if mode == "identify" || mode == "all" {
    print("\n=== identification ===")
    try identificationBenchmark(keep: keep)
}
if mode == "photo" {
    // Only photo → sighting and its stages: for iterating on the photo path.
    print("=== photo → sighting ===")
    try identificationBenchmark(keep: keep, photoPathOnly: true)
}
