import Foundation

/// Lists what is already in a drop folder: at start-up, after an inotify overflow, and for a
/// folder that appeared before its watch was armed. Hidden folders are skipped.
enum DropFolderScanner {
    static func files(in root: String, recursive: Bool) -> [String] {
        var out: [String] = []
        walk(root, recursive: recursive) { path, isDirectory in
            if !isDirectory { out.append(path) }
        }
        return out.sorted()
    }

    static func subdirectories(of root: String) -> [String] {
        var out: [String] = []
        walk(root, recursive: true) { path, isDirectory in
            if isDirectory { out.append(path) }
        }
        return out
    }

    private static func walk(_ dir: String, recursive: Bool, _ visit: (String, Bool) -> Void) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
        for name in entries.sorted() where !name.hasPrefix(".") {
            let path = (dir as NSString).appendingPathComponent(name)
            guard let snap = FileSnapshot.of(path) else { continue }
            if snap.isDirectory {
                visit(path, true)
                if recursive { walk(path, recursive: true, visit) }
            } else if snap.isRegularFile {
                visit(path, false)
            }
        }
    }
}
