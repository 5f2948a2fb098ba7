import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VerdantCore
import VerdantSensors
import VerdantSystemd
#if canImport(Glibc)
import Glibc
#endif

/// Samples the node every `interval` until graceful shutdown, then stops running jobs and flushes
/// (`JobRuntime.shutdown`). Sends systemd a `STATUS=` line every few samples.
struct SamplerService: Service {
    let runtime: JobRuntime
    let interval: Duration
    let notifier: SystemdNotifier
    /// Debug switch: when this file appears, it is deleted and the sampler stalls (see `debug-stall-file`).
    var stallFile: String? = nil
    var logger: Logger? = nil
    /// Hands back start-up code pages once the resident set settles (`ResidentMemoryTrimmer`); nil: never.
    var trimmer: ResidentMemoryTrimmer? = nil

    /// With systemd's watchdog on, the sampler wakes at least four times per `WATCHDOG_USEC` and pings
    /// only after a sample was really taken: a wedged sampler stops the pings and systemd restarts
    /// the daemon. Without it, it samples every `interval`.
    func run() async throws {
        let watchdog = notifier.watchdogInterval()
        let period = watchdog.map { min(interval, $0 / 4) } ?? interval
        await cancelWhenGracefulShutdown {
            var n = 0
            while !Task.isCancelled {
                if let stallFile, unlink(stallFile) == 0 {
                    logger?.warning("debug: the sampler stalls now (debug-stall-file appeared); no more samples or watchdog pings",
                                    metadata: ["file": "\(stallFile)"])
                    while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
                    break
                }
                if await runtime.sample(), watchdog != nil { notifier.watchdogPing() }
                trimmer?.afterTick()
                n += 1
                // The status line (an actor hop, string formatting) only when systemd listens.
                if n % 5 == 0, notifier.isListening { notifier.status(await runtime.statusLine()) }
                try? await Task.sleep(for: period)
            }
        }
        notifier.stopping()
        await runtime.shutdown()
    }
}

/// Reloads the scheduling policy on SIGHUP, telling systemd `RELOADING=1` … `READY=1`.
/// The queue is untouched; new submissions use the new policy.
struct ReloadService: Service {
    let runtime: JobRuntime
    let notifier: SystemdNotifier
    let reload: @Sendable () throws -> (SchedulingPolicy, [JobKind: Double])
    let logger: Logger

    func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                let usec = monotonicNanos() / 1000
                notifier.reloading(monotonicMicroseconds: usec)
                logger.notice("reloading the policy file", metadata: ["notify": "RELOADING=1 MONOTONIC_USEC=\(usec)"])
                do {
                    let (policy, deadlines) = try reload()
                    await runtime.replacePolicy(policy, defaultDeadlines: deadlines)
                    logger.notice("policy reloaded", metadata: ["policy": "\(policy.name)", "min_replan_saving": "\(policy.planner.minimumReplanSaving)",
                                                             "hedge": "\(policy.planner.hedge)", "forecast_decay_h": "\(policy.planner.forecastDecayHours)"])
                } catch {
                    logger.error("reload failed; keeping the previous policy", metadata: ["error": "\(error)"])
                }
                notifier.ready(status: await runtime.statusLine())
            }
        }
    }
}

/// Starts queued jobs when their planned start comes: sleeps until the next due time, or until the
/// runtime rings its `schedulerDoorbell` (a submission, a GPU released), and at most
/// `maximumSleepSeconds` of real time (a bound on how late a wall-clock step can make a start).
/// It no longer polls every 100 ms: an idle daemon wakes for the sampler only (docs/performance.md).
struct SchedulerService: Service {
    let runtime: JobRuntime
    /// The longest sleep, s of real time, with nothing due.
    static let maximumSleepSeconds = 5.0

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let next = await runtime.startDueJobs() ?? Self.maximumSleepSeconds
                let seconds = max(0.005, min(next, Self.maximumSleepSeconds))
                await runtime.schedulerDoorbell.wait(upTo: .milliseconds(Int(seconds * 1000)))
            }
        }
    }
}

/// Executor `slurm`: every `interval`, submits jobs waiting for Slurm and follows the others
/// (`JobRuntime.followBatchJobs`).
struct BatchFollowService: Service {
    let runtime: JobRuntime
    let interval: Duration

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runtime.followBatchJobs()
                try? await Task.sleep(for: interval)
            }
        }
    }
}

/// Debug switch (`debug-hung-component`): a component that ignores graceful shutdown and cancellation,
/// to show that shutdown stays bounded (`ShutdownDeadline`).
struct HungComponentService: Service {
    func run() async throws {
        while true { try? await Task.sleep(for: .seconds(1)) }
    }
}

/// Bounds shutdown: once graceful shutdown begins (SIGTERM/SIGINT), the service group has `grace` to
/// finish, then cancels its services (`maximumGracefulShutdownDuration`); a component that ignores even
/// cancellation would keep the process alive until systemd's SIGKILL. This service gives the rest
/// `cancelBudget` more and then ends the process with status 0 itself, after the runtime has stopped its
/// jobs and written everything (`JobRuntime.shutdown` runs in `SamplerService` as soon as shutdown begins).
struct ShutdownDeadline: Service {
    let grace: Duration
    let cancelBudget: Duration
    let logger: Logger
    let notifier: SystemdNotifier
    let onExpiry: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        let total = grace + cancelBudget
        // The sampler no longer pings while stopping: stretch the watchdog over the bounded shutdown
        // (WATCHDOG_USEC= resets the timer, sd_notify(3)), so systemd does not abort a stop in progress.
        if notifier.watchdogInterval() != nil {
            let c = (total + .seconds(5)).components
            notifier.notify("WATCHDOG_USEC=\(UInt64(c.seconds) * 1_000_000 + UInt64(c.attoseconds / 1_000_000_000_000))")
        }
        let log = logger
        let expiry = onExpiry
        // A thread, not a task: it must fire even when the cooperative pool is stuck.
        let t = Thread {
            let c = total.components
            let ns = Double(c.seconds) * 1e9 + Double(c.attoseconds) / 1e9
            Thread.sleep(forTimeInterval: ns / 1e9)
            log.error("shutdown: components still running after the graceful and cancellation budgets; exiting anyway",
                      metadata: ["budget_s": "\(ns / 1e9)"])
            expiry()
            exit(0)
        }
        t.start()
    }
}
