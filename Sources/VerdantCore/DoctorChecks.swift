import Foundation

// `verdant doctor` (issue 12): pure evaluation of facts gathered from the machine and the daemon.
// Gathering (files, syscalls, the daemon's API) lives in the CLI's adapters; every rule here is a
// function from plain values to checks, so each can be tested with hand-made facts.

/// The outcome of one check.
public enum DoctorStatus: String, Sendable, Codable, Comparable {
    case ok, warning, error

    private var rank: Int { self == .ok ? 0 : self == .warning ? 1 : 2 }
    public static func < (a: DoctorStatus, b: DoctorStatus) -> Bool { a.rank < b.rank }
}

/// One line of `verdant doctor`: what was checked, what was found and, unless it is ok, the exact fix.
public struct DoctorCheck: Sendable, Codable, Hashable {
    /// Dotted name, e.g. `energy.powercap`, `cgroup`, `daemon`.
    public var name: String
    public var status: DoctorStatus
    /// What was found, naming the file, unit or key.
    public var summary: String
    /// The command or setting that fixes it; `nil` when `ok`.
    public var fix: String?

    public init(_ name: String, _ status: DoctorStatus, _ summary: String, fix: String? = nil) {
        self.name = name
        self.status = status
        self.summary = summary
        self.fix = fix
    }
}

/// Facts about the energy counters of this machine.
public struct EnergyFacts: Sendable, Hashable {
    /// The sensor's probe results (`perf-power`, `powercap`, `estimate`), as `verdant sensors` shows them.
    public var sources: [SourceStatus]
    /// `/proc/sys/kernel/perf_event_paranoid`, `nil` when unreadable.
    public var perfEventParanoid: Int?
    /// Whether the process checking is root (root bypasses `perf_event_paranoid`).
    public var isRoot: Bool
    /// NVIDIA GPUs NVML sees; `nil` when `libnvidia-ml.so.1` cannot be loaded.
    public var nvmlGPUCount: Int?
    /// `/proc/cpuinfo` `model name`.
    public var cpuModelName: String?
    /// The estimate's model label, e.g. `TDP curve, default TDP 85 W (CPU 'AMD EPYC' not in TDP table)`.
    public var estimateModel: String
    /// Whether the estimate's TDP came from CodeCarbon's table (else the 85 W default or configured watts).
    public var tdpFromTable: Bool

    public init(sources: [SourceStatus], perfEventParanoid: Int?, isRoot: Bool, nvmlGPUCount: Int?,
                cpuModelName: String?, estimateModel: String, tdpFromTable: Bool) {
        self.sources = sources
        self.perfEventParanoid = perfEventParanoid
        self.isRoot = isRoot
        self.nvmlGPUCount = nvmlGPUCount
        self.cpuModelName = cpuModelName
        self.estimateModel = estimateModel
        self.tdpFromTable = tdpFromTable
    }
}

/// One cgroup hierarchy mount: its path and controllers (v1: the mount's super options; v2: `cgroup.controllers`).
public struct CgroupMount: Sendable, Hashable {
    public var path: String
    public var controllers: [String]
    public init(path: String, controllers: [String]) {
        self.path = path
        self.controllers = controllers
    }
}

/// Facts about the cgroup mounts (from `/proc/self/mountinfo`).
public struct CgroupFacts: Sendable, Hashable {
    /// cgroup2 mounts.
    public var v2Mounts: [CgroupMount]
    /// v1 hierarchies, e.g. `/sys/fs/cgroup/cpuacct` with `["cpuacct"]`.
    public var v1Mounts: [CgroupMount]
    /// Whether the job cgroups' parent folder can be created and written (root, or delegated).
    public var parentWritable: Bool
    /// The folder job cgroups go under (e.g. `/sys/fs/cgroup/cpuacct/verdant`), `nil` when no layout fits.
    public var parentDirectory: String?

    public init(v2Mounts: [CgroupMount], v1Mounts: [CgroupMount], parentWritable: Bool, parentDirectory: String?) {
        self.v2Mounts = v2Mounts
        self.v1Mounts = v1Mounts
        self.parentWritable = parentWritable
        self.parentDirectory = parentDirectory
    }
}

/// Facts about systemd and Verdant's units.
public struct SystemdFacts: Sendable, Hashable {
    /// `/proc/1/comm`.
    public var pid1Name: String
    /// Unit file → where it was found (`nil` = not installed), for `verdantd.service` and `verdantd.socket`.
    public var unitPaths: [String: String?]
    /// `systemctl is-active verdantd.service` output; `nil` when systemd is not PID 1.
    public var serviceActiveState: String?

    public init(pid1Name: String, unitPaths: [String: String?], serviceActiveState: String?) {
        self.pid1Name = pid1Name
        self.unitPaths = unitPaths
        self.serviceActiveState = serviceActiveState
    }
}

/// Facts about the state folder.
public struct StateFolderFacts: Sendable, Hashable {
    public var path: String
    public var exists: Bool
    /// Permission bits (e.g. `0o755`) and owner uid.
    public var mode: UInt16?
    public var ownerUID: UInt32?
    /// Free bytes on its file system (`statvfs` `f_bavail × f_frsize`).
    public var freeBytes: UInt64?
    /// Whether this process can write it.
    public var writable: Bool

    public init(path: String, exists: Bool, mode: UInt16?, ownerUID: UInt32?, freeBytes: UInt64?, writable: Bool) {
        self.path = path
        self.exists = exists
        self.mode = mode
        self.ownerUID = ownerUID
        self.freeBytes = freeBytes
        self.writable = writable
    }
}

/// Facts about `<state>/verdant.sqlite`.
public struct DatabaseFacts: Sendable, Hashable {
    public var path: String
    public var exists: Bool
    /// Database plus `-wal` file size, bytes.
    public var sizeBytes: UInt64?
    /// `PRAGMA quick_check` rows (`["ok"]` when healthy); `nil` when it could not be run.
    public var quickCheck: [String]?
    /// Why the check could not be run.
    public var openError: String?

    public init(path: String, exists: Bool, sizeBytes: UInt64?, quickCheck: [String]?, openError: String?) {
        self.path = path
        self.exists = exists
        self.sizeBytes = sizeBytes
        self.quickCheck = quickCheck
        self.openError = openError
    }
}

/// One link of the daemon's intensity chain, as `verdant intensity sources` shows it.
public struct IntensityLinkFacts: Sendable, Hashable {
    public var name: String
    /// `ok`, `failing`, `backoff`, `not-fetched`, `unavailable` or `in-use`.
    public var health: String
    public var lastError: String?
    /// Age of the newest stored point at the daemon's now, s.
    public var newestPointAgeSeconds: Double?

    public init(name: String, health: String, lastError: String?, newestPointAgeSeconds: Double?) {
        self.name = name
        self.health = health
        self.lastError = lastError
        self.newestPointAgeSeconds = newestPointAgeSeconds
    }
}

/// Facts about the forecast model (from the daemon's `forecast` answer).
public struct ModelFacts: Sendable, Hashable {
    public var forecastUsed: String
    public var reason: String
    /// Age of the stored model at the daemon's now, s; `nil` when none was trained.
    public var modelAgeSeconds: Double?
    /// Backtest MAPE (%) of the model and of seasonal naive 24 h.
    public var backtestMAPE: Double?
    public var seasonalNaiveMAPE: Double?
    /// The daemon's retraining period, s (`forecast-retrain-interval`).
    public var retrainSeconds: Double

    public init(forecastUsed: String, reason: String, modelAgeSeconds: Double?, backtestMAPE: Double?,
                seasonalNaiveMAPE: Double?, retrainSeconds: Double = 86400) {
        self.forecastUsed = forecastUsed
        self.reason = reason
        self.modelAgeSeconds = modelAgeSeconds
        self.backtestMAPE = backtestMAPE
        self.seasonalNaiveMAPE = seasonalNaiveMAPE
        self.retrainSeconds = retrainSeconds
    }
}

/// Kernel clock discipline from `adjtimex(2)`.
public struct ClockFacts: Sendable, Hashable {
    /// The return value (`TIME_ERROR` = 5 means unsynchronized).
    public var state: Int32
    /// Whether `STA_UNSYNC` (0x0040) is set in `timex.status`.
    public var unsyncFlag: Bool
    /// `timex.maxerror`, µs.
    public var maxErrorMicroseconds: Int

    public init(state: Int32, unsyncFlag: Bool, maxErrorMicroseconds: Int) {
        self.state = state
        self.unsyncFlag = unsyncFlag
        self.maxErrorMicroseconds = maxErrorMicroseconds
    }
}

/// The rules of `verdant doctor`. Thresholds are stated with each rule.
public enum DoctorRules {
    /// Energy counters: powercap (RAPL), perf's `power` PMU, NVML, and what the estimate rests on when
    /// no counter is readable. perf needs `perf_event_paranoid` ≤ 0 or CAP_PERFMON for system-wide
    /// events (perf_event_open(2), "perf_event related configuration files").
    public static func energy(_ f: EnergyFacts) -> [DoctorCheck] {
        var out: [DoctorCheck] = []
        let powercap = f.sources.first { $0.name == "powercap" }
        let perf = f.sources.first { $0.name == "perf-power" }
        let counterReadable = [powercap, perf].contains { s in s.map { $0.status == "in use" || $0.status == "available" } ?? false }
        let noRAPL = "no RAPL energy counter on this machine (typical of a VM)"
        if let p = powercap {
            switch p.status {
            case "in use", "available":
                out.append(DoctorCheck("energy.powercap", .ok, "powercap RAPL zones readable: \(p.detail)"))
            case "unavailable: permission":
                out.append(DoctorCheck("energy.powercap", .error, "RAPL zones exist but energy_uj is readable by root only",
                                       fix: "run verdantd as root, or install the tmpfiles rule: sudo make install && sudo systemd-tmpfiles --create /etc/tmpfiles.d/verdant-powercap.conf"))
            default:
                out.append(DoctorCheck("energy.powercap", .warning, "\(noRAPL): \(p.detail)",
                                       fix: counterReadable ? nil : "nothing to do in a VM; on bare metal load the driver: sudo modprobe intel_rapl_common (Intel) or a kernel ≥ 5.8 (AMD)"))
            }
        }
        if let p = perf {
            if p.status == "in use" || p.status == "available" {
                out.append(DoctorCheck("energy.perf", .ok, "perf power PMU readable: \(p.detail)"))
            } else if p.status == "unavailable: absent" {
                out.append(DoctorCheck("energy.perf", counterReadable ? .ok : .warning,
                                       "no perf 'power' PMU (/sys/bus/event_source/devices/power)"
                                        + (f.perfEventParanoid.map { "; kernel.perf_event_paranoid = \($0)" } ?? ""),
                                       fix: counterReadable ? nil : "none in a VM: the hypervisor does not expose RAPL"))
            } else {
                let paranoid = f.perfEventParanoid ?? 2
                let blocked = paranoid > 0 && !f.isRoot
                out.append(DoctorCheck("energy.perf", counterReadable ? .warning : .error,
                                       "perf power PMU present but not readable (\(p.detail)); kernel.perf_event_paranoid = \(f.perfEventParanoid.map(String.init) ?? "unknown")",
                                       fix: blocked ? "run verdantd as root, or: sudo sysctl -w kernel.perf_event_paranoid=0" : "check the kernel log (dmesg) for the power PMU"))
            }
        }
        if let n = f.nvmlGPUCount {
            out.append(DoctorCheck("energy.nvml", .ok, "NVML sees \(n) GPU(s); their energy is measured"))
        } else {
            out.append(DoctorCheck("energy.nvml", .ok, "no libnvidia-ml.so.1: no NVIDIA GPU to measure"))
        }
        let cpu = f.cpuModelName.map { "'\($0)'" } ?? "unknown CPU"
        if counterReadable {
            out.append(DoctorCheck("energy.estimate", .ok, "standby (counters are read); fallback model: \(f.estimateModel)"))
        } else {
            let basis = f.tdpFromTable
                ? "the TDP of \(cpu) from CodeCarbon's cpu_power.csv"
                : "a default TDP of 85 W (\(cpu) is not in CodeCarbon's cpu_power.csv)"
            out.append(DoctorCheck("energy.estimate", .warning,
                                   "\(noRAPL): energy is ESTIMATED from /proc/stat CPU time with the TDP curve of \(basis); model: \(f.estimateModel)",
                                   fix: "measure this node's idle and full-load power and set estimate-idle-watts and estimate-max-watts in verdantd.yaml"))
        }
        return out
    }

    /// cgroup version and controllers. Jobs need `cpu` in a v2 hierarchy or the v1 `cpuacct` hierarchy
    /// (Documentation/admin-guide/cgroup-v2.rst, cgroup-v1/cpuacct.rst); `freezer` (v1) or v2's
    /// `cgroup.freeze` lets the daemon pause jobs.
    public static func cgroup(_ f: CgroupFacts) -> DoctorCheck {
        let v2cpu = f.v2Mounts.first { $0.controllers.contains("cpu") }
        let v1acct = f.v1Mounts.first { $0.controllers.contains("cpuacct") }
        let version: String
        switch (f.v2Mounts.isEmpty, f.v1Mounts.isEmpty) {
        case (false, true): version = "v2 (unified)"
        case (false, false): version = "hybrid (v1 controllers, cgroup2 at \(f.v2Mounts.map(\.path).joined(separator: ", ")))"
        case (true, false): version = "v1"
        case (true, true): version = "none mounted"
        }
        let controllers = (f.v1Mounts.flatMap(\.controllers) + f.v2Mounts.flatMap { $0.controllers.map { "\($0)(v2)" } })
        let list = controllers.isEmpty ? "no controllers" : "controllers: " + controllers.joined(separator: " ")
        guard v2cpu != nil || v1acct != nil else {
            return DoctorCheck("cgroup", .error, "cgroup \(version), \(list): no cpu (v2) or cpuacct (v1) controller, so job CPU time falls back to wait4 rusage",
                               fix: "mount one: sudo mount -t cgroup -o cpuacct cpuacct /sys/fs/cgroup/cpuacct (v1), or boot with systemd.unified_cgroup_hierarchy=1 (v2)")
        }
        let used = v2cpu.map { "cpu controller of cgroup v2 at \($0.path)" } ?? "cpuacct at \(v1acct!.path)"
        guard f.parentWritable else {
            return DoctorCheck("cgroup", .warning, "cgroup \(version), \(list); jobs would use \(used), but \(f.parentDirectory ?? "its folder") is not writable by this user",
                               fix: "run verdantd as root (or under systemd with Delegate=yes, as systemd/verdantd.service does)")
        }
        return DoctorCheck("cgroup", .ok, "cgroup \(version), \(list); jobs use \(used)")
    }

    /// systemd as PID 1, Verdant's units installed and running.
    public static func systemd(_ f: SystemdFacts) -> DoctorCheck {
        let installed = f.unitPaths.filter { $0.value != nil }.keys.sorted()
        let missing = f.unitPaths.filter { $0.value == nil }.keys.sorted()
        guard f.pid1Name == "systemd" else {
            return DoctorCheck("systemd", .warning,
                               "PID 1 is '\(f.pid1Name)', not systemd: units are not used; verdantd runs jobs as child processes in cgroups (executor cgroup)",
                               fix: "start the daemon by hand: verdantd --config /etc/verdant/verdantd.yaml (or use a host that boots systemd)")
        }
        guard missing.isEmpty else {
            return DoctorCheck("systemd", .warning, "systemd is PID 1 but \(missing.joined(separator: ", ")) is not installed",
                               fix: "sudo make install && sudo systemctl daemon-reload && sudo systemctl enable --now verdantd.socket")
        }
        let state = f.serviceActiveState ?? "unknown"
        guard state == "active" || state == "activating" else {
            return DoctorCheck("systemd", .warning, "units installed (\(installed.joined(separator: ", "))) but verdantd.service is \(state)",
                               fix: "sudo systemctl enable --now verdantd.socket verdantd.service; then journalctl -u verdantd")
        }
        return DoctorCheck("systemd", .ok, "systemd is PID 1; verdantd.service is \(state)")
    }

    /// The daemon: reachable, and its version against the client's.
    public static func daemon(version: String?, error: String?, clientVersion: String, stateDirectory: String) -> DoctorCheck {
        guard let version else {
            return DoctorCheck("daemon", .error, "verdantd is not reachable at \(stateDirectory)/verdantd.sock: \(error ?? "no answer")",
                               fix: "start it: verdantd --state-dir \(stateDirectory) (or sudo systemctl start verdantd), or give --state-dir of the running one")
        }
        guard version == clientVersion else {
            return DoctorCheck("daemon", .warning, "verdantd \(version) is running; this verdant is \(clientVersion)",
                               fix: "install the same release of both (make build && sudo make install), then restart verdantd")
        }
        return DoctorCheck("daemon", .ok, "verdantd \(version) answers at \(stateDirectory)/verdantd.sock")
    }

    /// Free space below which the state folder is a warning (1 GiB) or an error (100 MiB): the
    /// database grows by roughly a few MiB per day of raw samples at 1 s (docs/performance.md).
    public static let freeSpaceWarningBytes: UInt64 = 1 << 30
    public static let freeSpaceErrorBytes: UInt64 = 100 << 20

    /// State folder: present, writable, not world-writable, free space.
    public static func stateFolder(_ f: StateFolderFacts) -> DoctorCheck {
        guard f.exists else {
            return DoctorCheck("state-folder", .error, "no state folder \(f.path)",
                               fix: "start verdantd once (it creates it), or give --state-dir (or $VERDANT_STATE_DIR) of the daemon's folder")
        }
        let mode = f.mode.map { String(format: "%04o", $0) } ?? "?"
        if let m = f.mode, m & 0o002 != 0 {
            return DoctorCheck("state-folder", .error, "\(f.path) is world-writable (mode \(mode)): anyone could replace the socket or database",
                               fix: "sudo chmod o-w \(f.path)")
        }
        let free = f.freeBytes.map(formatBytes) ?? "unknown"
        if let b = f.freeBytes, b < freeSpaceErrorBytes {
            return DoctorCheck("state-folder", .error, "\(f.path): only \(free) free", fix: "free space on its file system, or lower raw-retention (e.g. 2d)")
        }
        if let b = f.freeBytes, b < freeSpaceWarningBytes {
            return DoctorCheck("state-folder", .warning, "\(f.path): \(free) free (under 1 GiB)", fix: "free space on its file system, or lower raw-retention (e.g. 2d)")
        }
        return DoctorCheck("state-folder", .ok, "\(f.path): mode \(mode), owner uid \(f.ownerUID.map(String.init) ?? "?"), \(free) free"
                           + (f.writable ? "" : " (read-only for you: fine for a client)"))
    }

    /// Database integrity (`PRAGMA quick_check`) and size.
    public static func database(_ f: DatabaseFacts) -> DoctorCheck {
        guard f.exists else {
            return DoctorCheck("database", .warning, "no database \(f.path) yet", fix: "start verdantd on this state folder; it creates the database")
        }
        let size = f.sizeBytes.map(formatBytes) ?? "unknown size"
        guard let rows = f.quickCheck else {
            return DoctorCheck("database", .warning, "\(f.path) (\(size)): cannot check it: \(f.openError ?? "unknown error")",
                               fix: "run verdant doctor as the daemon's user (or root) to read it")
        }
        guard rows == ["ok"] else {
            return DoctorCheck("database", .error, "\(f.path) (\(size)) fails PRAGMA quick_check: \(rows.prefix(3).joined(separator: "; "))",
                               fix: "restart verdantd: it moves the corrupt file aside (verdant.sqlite.corrupt-<time>) and starts a new one")
        }
        return DoctorCheck("database", .ok, "\(f.path): \(size), quick_check ok")
    }

    /// How old the newest point of a live provider may be before it is a warning: 3 h (providers
    /// publish hourly or faster; the chain's default forecast TTL is 6 h).
    public static let stalePointSeconds: Double = 3 * 3600

    /// The intensity chain: each link's health, credentials and newest point's age.
    public static func intensity(_ links: [IntensityLinkFacts]) -> [DoctorCheck] {
        links.map { l in
            let name = "intensity.\(l.name)"
            // A trace or forecast can reach past the daemon's now: its newest point is then ahead, not old.
            let age = l.newestPointAgeSeconds.map { $0 >= 0 ? " newest point \(formatAge($0)) old;" : " data reaches \(formatAge(-$0)) ahead;" } ?? ""
            switch l.health {
            case "failing", "backoff":
                let err = l.lastError ?? "no detail"
                let credential = err.lowercased().contains("401") || err.lowercased().contains("403") || err.lowercased().contains("token")
                return DoctorCheck(name, .warning, "\(l.name) is \(l.health):\(age) last error: \(err)",
                                   fix: credential ? "check its token/password (electricitymaps-token-file, watttime-password-file, or the systemd credential) and restart verdantd"
                                                   : "check that the host reaches its URL (curl); the chain falls back to the next link meanwhile")
            case "unavailable":
                return DoctorCheck(name, .warning, "\(l.name) is unavailable:\(age) \(l.lastError ?? "")",
                                   fix: "see verdant intensity sources; configure it in verdantd.yaml (docs/configuration.md)")
            default:
                let live = !(l.name.hasPrefix("trace:") || l.name == "static" || l.name == "cache" || l.name == "forecaster" || l.name == "file")
                if live, let a = l.newestPointAgeSeconds, a > stalePointSeconds {
                    return DoctorCheck(name, .warning, "\(l.name) is \(l.health) but its newest point is \(formatAge(a)) old",
                                       fix: "check the provider's status page and verdant intensity sources; lower intensity-refresh if it is above 1h")
                }
                return DoctorCheck(name, .ok, "\(l.name): \(l.health);\(age.isEmpty ? "" : age)".trimmingCharacters(in: CharacterSet(charactersIn: ";")))
            }
        }
    }

    /// Clock discipline: `adjtimex` reports `TIME_ERROR` (5) or `STA_UNSYNC` when no NTP client
    /// keeps the clock (adjtimex(2)). Above 1 s of estimated error, job deadlines and intensity slots drift.
    public static func clock(_ f: ClockFacts?) -> DoctorCheck {
        guard let f else { return DoctorCheck("clock", .warning, "adjtimex(2) failed: clock synchronization unknown", fix: "check timedatectl or chronyc tracking") }
        if f.state == 5 || f.unsyncFlag {
            return DoctorCheck("clock", .warning, "the kernel clock is not synchronized (adjtimex: \(f.state == 5 ? "TIME_ERROR" : "STA_UNSYNC"))",
                               fix: "run an NTP client: sudo apt-get install chrony (or systemctl enable --now systemd-timesyncd); in a container the host's clock counts")
        }
        return DoctorCheck("clock", .ok, "synchronized (estimated error \(f.maxErrorMicroseconds / 1000) ms)")
    }

    /// The forecast model's age and its last backtest. A model older than twice the retraining period
    /// means retraining fails; one scoring worse than seasonal naive 24 h is not used.
    public static func model(_ f: ModelFacts) -> DoctorCheck {
        guard let age = f.modelAgeSeconds else {
            return DoctorCheck("model", .warning, "no forecast model trained yet; using \(f.forecastUsed): \(f.reason)",
                               fix: "wait for the daemon's retraining (every \(formatAge(f.retrainSeconds)) of daemon time) once it has the history named above, or import history: verdant intensity import FILE")
        }
        let scores = "backtest MAPE \(f.backtestMAPE.map { String(format: "%.1f %%", $0) } ?? "n/a") vs seasonal naive 24 h \(f.seasonalNaiveMAPE.map { String(format: "%.1f %%", $0) } ?? "n/a")"
        if age > 2 * f.retrainSeconds {
            return DoctorCheck("model", .warning, "the forecast model is \(formatAge(age)) old (retrained every \(formatAge(f.retrainSeconds))); \(scores)",
                               fix: "look for 'retrain' in the daemon's log (journalctl -u verdantd) and check the intensity chain")
        }
        if let m = f.backtestMAPE, let n = f.seasonalNaiveMAPE, m > n {
            return DoctorCheck("model", .warning, "the model (\(formatAge(age)) old) scores worse than seasonal naive 24 h (\(scores)); the fallback is used",
                               fix: "import more history (verdant intensity import FILE) so the next retraining has more to learn from")
        }
        return DoctorCheck("model", .ok, "\(f.forecastUsed), trained \(formatAge(age)) ago; \(scores)")
    }

    /// Exit status of `verdant doctor`: 1 when any check is an error, else 0.
    public static func exitStatus(_ checks: [DoctorCheck]) -> Int32 { checks.contains { $0.status == .error } ? 1 : 0 }

    /// `1.5 GiB`, `12.0 MiB`, `512 B` (binary units).
    public static func formatBytes(_ b: UInt64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var v = Double(b)
        var i = 0
        while v >= 1024, i < units.count - 1 { v /= 1024; i += 1 }
        return i == 0 ? "\(b) B" : String(format: "%.1f %@", v, units[i])
    }

    /// `45 s`, `12 min`, `5.0 h`, `3.2 d`.
    public static func formatAge(_ s: Double) -> String {
        if s < 90 { return "\(Int(s.rounded())) s" }
        if s < 5400 { return "\(Int((s / 60).rounded())) min" }
        if s < 2 * 86400 { return String(format: "%.1f h", s / 3600) }
        return String(format: "%.1f d", s / 86400)
    }
}
