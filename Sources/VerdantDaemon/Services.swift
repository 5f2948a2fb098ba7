import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import VerdantCore
import VerdantSensors
import VerdantSystemd

/// Samples the node every `interval` until graceful shutdown, then stops running jobs and flushes
/// (`JobRuntime.shutdown`). Sends systemd a `STATUS=` line every few samples.
struct SamplerService: Service {
    let runtime: JobRuntime
    let interval: Duration
    let notifier: SystemdNotifier

    /// With systemd's watchdog on, the sampler wakes at least four times per `WATCHDOG_USEC` and pings
    /// only after a sample was really taken: a wedged sampler stops the pings and systemd restarts
    /// the daemon. Without it, it samples every `interval`.
    func run() async throws {
        let watchdog = notifier.watchdogInterval()
        let period = watchdog.map { min(interval, $0 / 4) } ?? interval
        await cancelWhenGracefulShutdown {
            var n = 0
            while !Task.isCancelled {
                if await runtime.sample(), watchdog != nil { notifier.watchdogPing() }
                n += 1
                if n % 5 == 0 { notifier.status(await runtime.statusLine()) }
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
                notifier.reloading(monotonicMicroseconds: monotonicNanos() / 1000)
                do {
                    let (policy, deadlines) = try reload()
                    await runtime.replacePolicy(policy, defaultDeadlines: deadlines)
                    logger.notice("policy reloaded", metadata: ["policy": "\(policy.name)"])
                } catch {
                    logger.error("reload failed; keeping the previous policy", metadata: ["error": "\(error)"])
                }
                notifier.ready(status: await runtime.statusLine())
            }
        }
    }
}

/// Starts queued jobs when their planned start comes: wakes at the next due time, at least every
/// 100 ms of real time (in replay at 3600× that is 6 trace minutes).
struct SchedulerService: Service {
    let runtime: JobRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let next = await runtime.startDueJobs() ?? 0.1
                try? await Task.sleep(for: .milliseconds(Int(max(0.005, min(next, 0.1)) * 1000)))
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
