import Foundation

/// Wakes idle workers when intake queues a photo, instead of polling the database in a tight loop.
final class WorkSignal: @unchecked Sendable {
    private let condition = NSCondition()
    private var generation = 0

    func notify() {
        condition.lock()
        generation += 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for a notify or the timeout, whichever comes first.
    func wait(timeout: TimeInterval) {
        condition.lock()
        let seen = generation
        let deadline = Date(timeIntervalSinceNow: timeout)
        while generation == seen, condition.wait(until: deadline) {}
        condition.unlock()
    }
}
