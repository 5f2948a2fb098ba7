import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A serial executor on one dedicated thread that also wakes every sampling period: `JobRuntime`
/// runs on it (its `unownedExecutor`), and the sampler's tick is a plain call on that thread.
///
/// Why: with the runtime on Swift's default executor, every 1 Hz tick was a `Task.sleep` timer on
/// Dispatch's manager thread, a wake-up of a cooperative-pool thread, and hops on and off the actor:
/// about 40 % of the daemon's CPU at 1 Hz with 50 jobs went to that plumbing, not to the sample
/// (perf, docs/performance.md, "Sampling cost"). Here the thread sleeps in one
/// `pthread_cond_timedwait` on `CLOCK_MONOTONIC` until the next tick or the next enqueued job, and
/// the tick runs with the actor's isolation without any hop.
///
/// Jobs run in the order they were enqueued (priorities are not reordered: the runtime's work is
/// short and serial anyway); a due tick runs before the jobs waiting at that moment, after the
/// batch of jobs already running. Ticks are due at absolute monotonic times `start + k × period`, so a
/// slow tick does not shift the ones after it; ticks missed while the thread was busy are skipped, not run in a burst.
///
/// The thread ends when the executor is released (its owner, the actor, is gone) and no job is
/// left. `startTicking`'s closure is held until `stopTicking()`: a closure that holds the owner keeps
/// both alive until then.
public final class SamplerThread: SerialExecutor, @unchecked Sendable {
    private let core: Core

    /// Starts the thread, named `name` (at most 15 bytes are kept, the kernel's limit).
    public init(name: String) {
        core = Core()
        core.executor = UnownedSerialExecutor(ordinary: self)
        core.start(name: name)
    }

    deinit { core.close() }

    public func enqueue(_ job: consuming ExecutorJob) {
        core.push(UnownedJob(job))
    }

    public func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    /// Crashes unless called on this executor's thread (what `assumeIsolated` asks of a custom
    /// executor outside a task, e.g. in the tick).
    public func checkIsolated() {
        precondition(isCurrentThread, "not on the \(SamplerThread.self) of this actor")
    }

    /// Whether the caller runs on this executor's thread.
    public var isCurrentThread: Bool { core.isCurrentThread }

    /// Calls `tick` on the thread now and then every `periodNanos` of the monotonic clock, until
    /// `stopTicking()`. Replaces an earlier tick closure.
    public func startTicking(periodNanos: UInt64, _ tick: @escaping @Sendable () -> Void) {
        precondition(periodNanos > 0, "the tick period must be positive")
        core.setTick(periodNanos: periodNanos, tick)
    }

    /// No tick starts after this returns (one already running finishes); the closure is released.
    public func stopTicking() {
        core.setTick(periodNanos: 0, nil)
    }

    /// The thread's state, shared by the executor object and the thread (which must not keep the
    /// executor alive).
    private final class Core: @unchecked Sendable {
        var mutex = pthread_mutex_t()
        var condition = pthread_cond_t()
        var jobs: [UnownedJob] = []
        var closed = false
        var tick: (@Sendable () -> Void)?
        var periodNanos: UInt64 = 0
        var nextTickNanos: UInt64 = 0
        var thread = pthread_t()
        var executor: UnownedSerialExecutor?
        var name = ""

        init() {
            pthread_mutex_init(&mutex, nil)
            var attributes = pthread_condattr_t()
            pthread_condattr_init(&attributes)
            pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
            pthread_cond_init(&condition, &attributes)
            pthread_condattr_destroy(&attributes)
        }

        deinit {
            pthread_cond_destroy(&condition)
            pthread_mutex_destroy(&mutex)
        }

        var isCurrentThread: Bool { pthread_equal(pthread_self(), thread) != 0 }

        func start(name: String) {
            self.name = name
            let box = Unmanaged.passRetained(self).toOpaque()
            var attributes = pthread_attr_t()
            pthread_attr_init(&attributes)
            let created = pthread_create(&thread, &attributes, { raw in
                let core = Unmanaged<Core>.fromOpaque(raw!).takeRetainedValue()
                core.run()
                return nil
            }, box)
            pthread_attr_destroy(&attributes)
            precondition(created == 0, "pthread_create failed: \(created)")
            pthread_detach(thread)
        }

        func push(_ job: UnownedJob) {
            pthread_mutex_lock(&mutex)
            jobs.append(job)
            pthread_cond_signal(&condition)
            pthread_mutex_unlock(&mutex)
        }

        func close() {
            pthread_mutex_lock(&mutex)
            closed = true
            pthread_cond_signal(&condition)
            pthread_mutex_unlock(&mutex)
        }

        func setTick(periodNanos: UInt64, _ tick: (@Sendable () -> Void)?) {
            pthread_mutex_lock(&mutex)
            self.tick = tick
            self.periodNanos = periodNanos
            nextTickNanos = Self.monotonicNanos()
            pthread_cond_signal(&condition)
            pthread_mutex_unlock(&mutex)
        }

        static func monotonicNanos() -> UInt64 {
            var ts = timespec()
            clock_gettime(CLOCK_MONOTONIC, &ts)
            return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
        }

        func run() {
            Thread.current.name = name   // pthread_setname_np (the kernel keeps 15 bytes)
            pthread_mutex_lock(&mutex)
            while true {
                // A due tick goes first, then the jobs waiting at that moment: a busy actor cannot
                // starve the sampler, nor the sampler the actor.
                if let tick, Self.monotonicNanos() >= nextTickNanos {
                    let now = Self.monotonicNanos()
                    nextTickNanos += periodNanos
                    if nextTickNanos <= now {   // missed ticks are skipped, the phase kept
                        nextTickNanos += (now - nextTickNanos) / periodNanos * periodNanos + periodNanos
                    }
                    pthread_mutex_unlock(&mutex)
                    tick()
                    pthread_mutex_lock(&mutex)
                }
                if !jobs.isEmpty {
                    let batch = jobs
                    jobs.removeAll(keepingCapacity: true)
                    pthread_mutex_unlock(&mutex)
                    for job in batch { job.runSynchronously(on: executor!) }
                    pthread_mutex_lock(&mutex)
                    continue
                }
                if closed && tick == nil { break }
                if tick != nil {
                    if Self.monotonicNanos() >= nextTickNanos { continue }
                    var deadline = timespec(tv_sec: Int(nextTickNanos / 1_000_000_000), tv_nsec: Int(nextTickNanos % 1_000_000_000))
                    pthread_cond_timedwait(&condition, &mutex, &deadline)
                } else {
                    pthread_cond_wait(&condition, &mutex)
                }
            }
            pthread_mutex_unlock(&mutex)
        }
    }
}
