import Foundation
import Logging
import ServiceLifecycle
import VerdantSystemd

/// Samples the node every `interval` until graceful shutdown, then stops running jobs and flushes
/// (`JobRuntime.shutdown`). Sends systemd a `STATUS=` line every few samples.
struct SamplerService: Service {
    let runtime: JobRuntime
    let interval: Duration
    let notifier: SystemdNotifier

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var n = 0
            while !Task.isCancelled {
                await runtime.sample()
                n += 1
                if n % 5 == 0 { notifier.status(await runtime.statusLine()) }
                try? await Task.sleep(for: interval)
            }
        }
        notifier.stopping()
        await runtime.shutdown()
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
