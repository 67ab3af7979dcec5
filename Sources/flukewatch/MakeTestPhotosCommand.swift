import ArgumentParser
import FlukeFixtures
import Foundation

/// Writes synthetic fluke photos with EXIF: for checking a new board's camera-to-sighting path
/// (and for the system tests) without touching real survey photos.
struct MakeTestPhotosCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "make-test-photos",
        abstract: "Write synthetic fluke photos (JPEG with EXIF) into a folder, to try a station end to end.")

    @Argument(help: ArgumentHelp("Folder to write into (created if needed; not a drop folder while the daemon runs: copy from here).", valueName: "DIR"))
    var directory: String

    @Option(name: .long, help: "How many photos.")
    var count: Int = 10

    @Option(name: .long, help: "Number of the first photo (photos with different numbers are different content).")
    var first: Int = 1

    @Option(name: .long, help: "Width in pixels (height is 3/4 of it).")
    var width: Int = 1024

    @Option(name: .long, help: "File-name prefix.")
    var prefix: String = "IMG_"

    func run() throws {
        guard count > 0, width >= 64 else { throw ValidationError("--count must be positive and --width at least 64") }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for n in first..<(first + count) {
            let photo = FixturePhoto(width: width, height: width * 3 / 4, individualSeed: UInt64(n % 5 + 1),
                                     sceneSeed: UInt64(n), noise: 2, exif: FixturePhoto.cameraEXIF(index: n))
            let path = (directory as NSString).appendingPathComponent("\(prefix)\(String(format: "%04d", n)).JPG")
            try Data(try photo.jpegBytes()).write(to: URL(fileURLWithPath: path))
        }
        print("wrote \(count) photo(s) to \(directory)")
    }
}
