import Logging
import Synchronization
import VerdantKernelFiles
import VerdantSensors

/// When verdantd hands back the code pages start-up left resident (`ResidentCodeRelease`): once its
/// resident set has grown by `growthBytes` since the last release and then stayed put for one check
/// (start-up, a burst of submissions or a report is over), at most `creditCapacity` times in a row
/// and then once per `creditSeconds`. Pure: fed the resident size and the monotonic time.
///
/// Why these numbers (docs/performance.md, "Start-up code handed back"): a release costs a few
/// milliseconds of CPU (the page walk, then the faults that bring the sampler's working set back), so
/// it is worth it only for megabytes; after a release the resident set is allowed to regrow for
/// `refaultSeconds` (the sampler's tick, the flush every 5 s, the roll-ups every minute fault their
/// pages back) and that level becomes the new baseline, so the working set coming back never
/// triggers another release; the credits bound the cost when something does keep growing it
/// (at most 4 releases an hour after the first 4).
struct ResidentMemoryTrimPolicy: Sendable, Equatable {
    /// Seconds between two looks at the resident size.
    static let checkSeconds = 2.0
    /// Growth over the baseline that makes a release worth it, bytes (2 MiB).
    static let growthBytes = 2 << 20
    /// Growth between two checks still counted as quiet, bytes (64 KiB: one fault-around).
    static let quietBytes = 64 << 10
    /// After a release, how long the resident set may regrow into the new baseline, s.
    static let refaultSeconds = 20.0
    /// Releases allowed back to back, and the time that earns one more, s.
    static let creditCapacity = 4.0
    static let creditSeconds = 900.0

    private(set) var baselineBytes = 0
    private var lastCheck: Double?
    private var lastResidentBytes: Int?
    private var lastRelease: Double?
    private var credits = Self.creditCapacity

    /// Whether it is time to look at the resident size (every `checkSeconds`).
    func isDue(atSeconds now: Double) -> Bool {
        lastCheck.map { now - $0 >= Self.checkSeconds } ?? true
    }

    /// Takes one look at the resident size; returns whether to release now.
    mutating func observe(residentBytes rss: Int, atSeconds now: Double) -> Bool {
        if let last = lastCheck { credits = min(Self.creditCapacity, credits + (now - last) / Self.creditSeconds) }
        defer { lastCheck = now; lastResidentBytes = rss }
        if let released = lastRelease, now - released < Self.refaultSeconds {
            baselineBytes = max(baselineBytes, rss)
            return false
        }
        guard let previous = lastResidentBytes, rss - previous < Self.quietBytes else { return false }
        return rss >= baselineBytes + Self.growthBytes && credits >= 1
    }

    /// Records a release that left `residentBytes`.
    mutating func released(residentBytes rss: Int, atSeconds now: Double) {
        credits -= 1
        lastRelease = now
        baselineBytes = rss
        lastResidentBytes = rss
    }
}

/// Runs `ResidentMemoryTrimPolicy` after the sampler's ticks, once start-up is over (`markReady()`,
/// called when the API server runs and systemd is told READY=1: a release before that would let the
/// rest of start-up regrow into the baseline): reads `VmRSS` from `/proc/self/statm` (kept open, one
/// `pread` every `checkSeconds`) and calls `ResidentCodeRelease.run()` when the policy says so, logging
/// what it gave back. `afterTick()` is called by `SamplerService` only (one task), hence not locked.
final class ResidentMemoryTrimmer: @unchecked Sendable {
    private let ready = Atomic<Bool>(false)
    private var policy = ResidentMemoryTrimPolicy()
    private let statm = KeptOpenFile(path: "/proc/self/statm")
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
    private let logger: Logger?

    init(logger: Logger?) { self.logger = logger }

    /// Start-up is over (READY): releases may begin.
    func markReady() { ready.store(true, ordering: .releasing) }

    /// Called after every sampler tick; cheap unless a check is due.
    func afterTick() {
        guard ready.load(ordering: .acquiring) else { return }
        let now = Double(monotonicNanos()) / 1e9
        guard policy.isDue(atSeconds: now), let rss = residentBytes() else { return }
        guard policy.observe(residentBytes: rss, atSeconds: now) else { return }
        let report = ResidentCodeRelease.run()
        policy.released(residentBytes: report.residentBytesAfter, atSeconds: now)
        logger?.info("start-up pages handed back (madvise MADV_PAGEOUT, malloc_trim)", metadata: [
            "rss_mb_before": "\(Double(report.residentBytesBefore) / 1_048_576)",
            "rss_mb_after": "\(Double(report.residentBytesAfter) / 1_048_576)",
            "advised_mb": "\(Double(report.bytesAdvised) / 1_048_576)",
            "madvise_errno": "\(report.madviseErrno)",
        ])
    }

    /// `/proc/self/statm`'s second field (resident pages) in bytes.
    private func residentBytes() -> Int? {
        try? statm.withContents { bytes -> Int? in
            var field = 0, value = 0, seen = false
            for b in bytes {
                if b == UInt8(ascii: " ") {
                    if field == 1 { return seen ? value * self.pageSize : nil }
                    field += 1
                } else if field == 1, b >= 48, b <= 57 {
                    value = value * 10 + Int(b - 48)
                    seen = true
                }
            }
            return nil
        }.get()
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// The hand-backs of start-up itself (docs/performance.md, "Code laid out by function, and start-up
/// pages handed back early"): the binary's file pages are paged out (`ResidentCodeRelease`) as the
/// first thing `verdantd` does, once the configuration is read, once the store and the trace are
/// ready, and once the daemon is prepared, before the API server starts. The resident set's lifetime
/// peak (VmHWM) is then the largest of start-up's phases, not their sum: the loader's and the
/// runtime's pages; the command line and the configuration; the store and the trace import; the
/// executor, recovery and first sample; the servers and the first ticks. The steady-state trimmer
/// (`ResidentMemoryTrimmer`, after READY) cannot lower that peak. Each call costs a few milliseconds
/// (measured: 466 `madvise` calls in 6.7 ms for the four, `strace -c`; then minor faults for the code
/// that runs next).
public enum StartupPageRelease {
    /// Pages out now and logs the sizes (MB) at `debug` with `phase` (e.g. "configured", "prepared").
    public static func run(phase: String, logger: Logger?) {
        let report = ResidentCodeRelease.run()
        logger?.debug("start-up pages handed back", metadata: [
            "phase": "\(phase)",
            "rss_mb_before": "\(Double(report.residentBytesBefore) / 1_048_576)",
            "rss_mb_after": "\(Double(report.residentBytesAfter) / 1_048_576)",
            "madvise_errno": "\(report.madviseErrno)",
        ])
    }
}
