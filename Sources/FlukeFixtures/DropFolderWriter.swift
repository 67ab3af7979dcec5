import Foundation

/// Writes files into a drop folder the ways cameras, card readers and people do, so tests and
/// the demo exercise intake's "finished files only" rules.
public enum DropFolderWriter {
    public enum Style: Sendable, Equatable {
        /// One write, one close.
        case direct
        /// Written under a temporary name (`.NAME.part`), then renamed into place (rsync, browsers).
        case renamedIn
        /// Written in `chunks` pieces with `pause` seconds between them (a slow card reader).
        case slow(chunks: Int, pause: TimeInterval)
    }

    public static func write(_ bytes: [UInt8], to path: String, style: Style) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        switch style {
        case .direct:
            try Data(bytes).write(to: url)
        case .renamedIn:
            let temp = url.deletingLastPathComponent().appendingPathComponent("." + url.lastPathComponent + ".part")
            try Data(bytes).write(to: temp)
            guard rename(temp.path, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        case .slow(let chunks, let pause):
            guard FileManager.default.createFile(atPath: path, contents: nil),
                  let handle = FileHandle(forWritingAtPath: path) else { throw POSIXError(.EACCES) }
            defer { try? handle.close() }
            let size = max(1, (bytes.count + chunks - 1) / max(1, chunks))
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + size)
                try handle.write(contentsOf: Data(bytes[offset..<end]))
                offset = end
                if offset < bytes.count { Thread.sleep(forTimeInterval: pause) }
            }
        }
    }
}
