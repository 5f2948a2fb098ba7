import Synchronization

/// Wakes the scheduler early: `SchedulerService` sleeps until the next queued job is due (at most
/// `SchedulerService.maximumSleep`), and `JobRuntime` rings this when the queue's earliest due time may
/// have moved (a submission, a GPU released). Replaces polling the runtime ten times a second, which
/// cost an actor hop and a timer re-arm per wake-up (see docs/performance.md, "Where the CPU went").
///
/// One waiter at a time (the scheduler). A ring with nobody waiting is kept and ends the next wait at
/// once, so a submission between two waits is never missed.
public final class SchedulerDoorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    public init() {}

    /// Ends the current wait, or the next one when nobody is waiting.
    public func ring() {
        let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
            if let w = s.waiter {
                s.waiter = nil
                return w
            }
            s.rung = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after `timeout`, at a ring, or when the task is cancelled, whichever comes first.
    public func wait(upTo timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForRing() }
            _ = await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                // Checked under the lock: a cancellation before this point is seen here, one after it
                // finds the waiter in `onCancel`.
                let now = state.withLock { s -> Bool in
                    if s.rung {
                        s.rung = false
                        return true
                    }
                    if Task.isCancelled { return true }   // the ring, if any, is kept for the next wait
                    s.waiter = c
                    return false
                }
                if now { c.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { s -> CheckedContinuation<Void, Never>? in
                defer { s.waiter = nil }
                return s.waiter
            }
            waiter?.resume()
        }
    }
}
