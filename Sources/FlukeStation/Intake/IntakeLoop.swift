import FlukeCore
import FlukeStore
import Foundation
import Logging
import Synchronization

/// The intake thread: arms inotify on every drop folder, rescans them, then takes each finished
/// file as the kernel reports it. Runs on its own thread because hashing and inotify block.
final class IntakeLoop: @unchecked Sendable {
    private let intaker: PhotoIntaker
    private let logger: Logger
    private let settle: TimeInterval
    private let onQueued: @Sendable () -> Void
    private let onArmed: @Sendable (Result<[String], Error>) -> Void
    private let stopRequested = Atomic<Bool>(false)
    private let pendingFolders: Mutex<[StationConfig.DropFolder]?> = Mutex(nil)
    private let finished = DispatchSemaphore(value: 0)
    /// Last time the thread showed it was alive (each loop, each file): the watchdog reads it.
    let heartbeat = Mutex(Date())
    private var folders: [StationConfig.DropFolder]
    private var thread: Thread?

    init(folders: [StationConfig.DropFolder], intaker: PhotoIntaker, settle: TimeInterval, logger: Logger,
         onArmed: @escaping @Sendable (Result<[String], Error>) -> Void, onQueued: @escaping @Sendable () -> Void) {
        self.folders = folders
        self.intaker = intaker
        self.settle = settle
        self.logger = logger
        self.onArmed = onArmed
        self.onQueued = onQueued
    }

    func start() {
        let t = Thread { [self] in
            run()
            finished.signal()
        }
        t.name = "flukewatch-intake"
        thread = t
        t.start()
    }

    /// Asks the thread to stop after the file in hand and waits for it.
    func stop() {
        stopRequested.store(true, ordering: .releasing)
        if thread != nil { finished.wait() }
    }

    /// Replaces the set of drop folders (config reload): new ones are watched and scanned,
    /// removed ones released.
    func reconfigure(_ newFolders: [StationConfig.DropFolder]) {
        pendingFolders.withLock { $0 = newFolders }
    }

    private func run() {
        let watcher: InotifyWatcher
        var gate = StabilityGate(settle: settle)
        do {
            watcher = try InotifyWatcher()
            for folder in folders { try arm(folder, watcher) }
            onArmed(.success(watcher.watchedPaths))
        } catch {
            onArmed(.failure(error))
            return
        }
        for folder in folders { rescan(folder, &gate) }

        while !stopRequested.load(ordering: .acquiring) {
            heartbeat.withLock { $0 = Date() }
            if let newFolders = pendingFolders.withLock({ p -> [StationConfig.DropFolder]? in defer { p = nil }; return p }) {
                apply(newFolders, watcher, &gate)
            }
            for event in watcher.next(timeoutMilliseconds: 200) {
                if stopRequested.load(ordering: .acquiring) { break }
                handle(event, watcher, &gate)
            }
            for (path, camera) in gate.due() {
                if stopRequested.load(ordering: .acquiring) { break }
                take(path, camera: camera, &gate)
            }
        }
    }

    private func arm(_ folder: StationConfig.DropFolder, _ watcher: InotifyWatcher) throws {
        guard FileSnapshot.of(folder.path)?.isDirectory == true else { throw IntakeError.dropFolderMissing(folder.path) }
        let watched = try watcher.watch(tree: folder.path, folder: folder)
        logger.info("watching drop folder \(folder.path) (camera \(folder.camera), \(watched.count) folder(s)\(folder.recursive ? ", recursive" : ""))",
                    metadata: [Logger.eventKey: "watch", "camera": "\(folder.camera)", "photo_path": "\(folder.path)"])
    }

    private func apply(_ newFolders: [StationConfig.DropFolder], _ watcher: InotifyWatcher, _ gate: inout StabilityGate) {
        for old in folders where !newFolders.contains(old) {
            watcher.unwatch(tree: old.path)
            logger.notice("released drop folder \(old.path) (removed from the config)",
                          metadata: [Logger.eventKey: "watch", "camera": "\(old.camera)", "photo_path": "\(old.path)"])
        }
        for new in newFolders where !folders.contains(new) {
            do {
                try arm(new, watcher)
                rescan(new, &gate)
            } catch {
                logger.error("\(error)", metadata: [Logger.eventKey: "watch", "photo_path": "\(new.path)"])
            }
        }
        folders = newFolders
    }

    private func handle(_ event: DropEvent, _ watcher: InotifyWatcher, _ gate: inout StabilityGate) {
        switch event {
        case .fileFinished(let path, let folder):
            offer(path, camera: folder.camera, fromEvent: true, &gate)
        case .directoryAppeared(let path, let folder):
            do {
                let added = try watcher.watch(tree: path, folder: folder)
                logger.debug("watching new subfolder \(path) (\(added.count) folder(s))")
            } catch {
                logger.error("\(error)", metadata: [Logger.eventKey: "watch", "photo_path": "\(path)"])
            }
            // Files may have landed before the watch was armed.
            rescan(StationConfig.DropFolder(path: path, camera: folder.camera, recursive: folder.recursive), &gate)
        case .overflow:
            logger.warning("the kernel's inotify queue overflowed (a burst of files); rescanning every drop folder so none is missed",
                           metadata: [Logger.eventKey: "rescan"])
            for folder in folders { rescan(folder, &gate) }
        case .watchRemoved(let path):
            logger.warning("drop folder \(path) was removed or moved away; photos already recorded are kept. Recreate it and send SIGHUP (systemctl reload flukewatch) to watch it again",
                           metadata: [Logger.eventKey: "watch", "photo_path": "\(path)"])
        }
    }

    private func rescan(_ folder: StationConfig.DropFolder, _ gate: inout StabilityGate) {
        for path in DropFolderScanner.files(in: folder.path, recursive: folder.recursive) {
            if stopRequested.load(ordering: .acquiring) { return }
            let kind = FileKind.classify(fileName: (path as NSString).lastPathComponent)
            guard kind == .photo || kind == .rawSidecar else { continue }
            offer(path, camera: folder.camera, fromEvent: false, &gate)
        }
    }

    /// Takes the file now if it has been quiet long enough, else holds it in the gate.
    private func offer(_ path: String, camera: CameraLabel, fromEvent: Bool, _ gate: inout StabilityGate) {
        guard let snap = FileSnapshot.of(path), snap.isRegularFile else { return }
        let quiet = gate.quiet(for: snap, fromEvent: fromEvent)
        if gate.isSettled(snap, quiet: quiet) {
            take(path, camera: camera, &gate)
        } else {
            gate.hold(path, camera: camera, snapshot: snap, quiet: quiet)
        }
    }

    private func take(_ path: String, camera: CameraLabel, _ gate: inout StabilityGate) {
        heartbeat.withLock { $0 = Date() }
        let meta: Logger.Metadata = ["photo_path": "\(path)", "camera": "\(camera)"]
        do {
            switch try intaker.take(path: path, camera: camera) {
            case .recorded(let outcome, let id):
                var m = meta
                m["photo_sha256"] = "\(id.hex)"
                switch outcome {
                case .queued:
                    m[Logger.eventKey] = "intake"
                    logger.info("queued photo \(id.short) from \(path)", metadata: m)
                    onQueued()
                case .duplicate(let first):
                    m[Logger.eventKey] = "duplicate"
                    logger.notice("\(path) has the same bytes as \(first): recorded as a duplicate, not processed again", metadata: m)
                case .quarantined(let reason):
                    m[Logger.eventKey] = "quarantine"
                    m["reason"] = "\(reason.code)"
                    logger.warning("quarantined \(path): \(reason.explanation)", metadata: m)
                case .alreadyRecorded:
                    logger.debug("\(path) is already recorded", metadata: m)
                }
            case .sidecar:
                logger.info("recorded RAW sidecar \(path)", metadata: meta.merging([Logger.eventKey: "sidecar"]) { $1 })
            case .notReady:
                if let snap = FileSnapshot.of(path) { gate.hold(path, camera: camera, snapshot: snap, quiet: gate.settle) }
            case .unreadable(let reason):
                logger.error("cannot read \(path): \(reason)", metadata: meta.merging([Logger.eventKey: "quarantine"]) { $1 })
            case .unchanged, .ignored, .vanished:
                break
            }
        } catch {
            logger.error("could not record \(path) in the station database: \(error); will retry",
                         metadata: meta.merging([Logger.eventKey: "intake"]) { $1 })
            if let snap = FileSnapshot.of(path) { gate.hold(path, camera: camera, snapshot: snap, quiet: gate.settle) }
        }
    }
}
