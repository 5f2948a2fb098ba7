import CSystemd
import Foundation
import VerdantCore
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

/// The `systemd` executor: each job is a transient service `verdant-job-<id>.service` in
/// `verdant.slice`, started over sd-bus with `StartTransientUnit` (org.freedesktop.systemd1(5)), run as
/// the submitter (`User=`, `Group=`), with `CPUAccounting`/`MemoryAccounting` and the job's
/// `CPUQuota=`/`AllowedCPUs=`/`MemoryMax=` (systemd.resource-control(5)). Its output goes to the journal
/// under the unit name.
///
/// The unit is `Type=exec` with `RemainAfterExit=yes`: after the main process ends it stays loaded (with
/// its exit status and CPU time) until Verdant has read them and stops it, so a daemon restarted in
/// between still finds the end. A watcher thread with its own bus connection subscribes to the
/// manager and to `PropertiesChanged` of units and re-reads the followed units whenever a signal
/// arrives (at least every 250 ms).
public final class SystemdJobExecutor: JobExecutor, @unchecked Sendable {
    public var name: String { "systemd" }
    /// Units outlive the daemon: a restart re-adopts them.
    public var jobsOutliveDaemon: Bool { true }
    public var detail: String { "transient units verdant-job-<id>.service in \(slice) (sd-bus)" }
    /// The slice every job unit is placed in.
    public let slice: String
    /// `TimeoutStopSec=` of job units: how long `StopUnit` waits before SIGKILL.
    public let stopTimeoutSeconds: Double
    /// Where the freezer falls back to when `FreezeUnit` is refused (a cgroup v1 host, systemd < 246):
    /// called with the unit's processes and `true` to freeze, `false` to thaw. Injected by the
    /// composition root (the cgroup freezer of the cgroup executor).
    public let fallbackFreezer: (@Sendable (_ unit: String, _ pids: [Int32], _ freeze: Bool) throws -> Void)?

    private let lock = NSLock()
    private var commandBus: OpaquePointer?
    private var lastFreezerUsed: String?
    private var waiters: [String: CheckedContinuation<JobEnd, Never>] = [:]
    private var lastCPU: [String: Double] = [:]
    private var watcherStarted = false

    /// Whether the host runs systemd as its init (`sd_booted(3)`).
    public static var hostRunsSystemd: Bool { sd_booted() > 0 }

    /// - Parameters:
    ///   - slice: the slice for job units (default `verdant.slice`).
    ///   - stopTimeoutSeconds: `TimeoutStopSec=` of job units (default 10 s, as the runtime's cancel grace).
    public init(slice: String = "verdant.slice", stopTimeoutSeconds: Double = 10,
                fallbackFreezer: (@Sendable (_ unit: String, _ pids: [Int32], _ freeze: Bool) throws -> Void)? = nil) {
        self.slice = slice
        self.stopTimeoutSeconds = stopTimeoutSeconds
        self.fallbackFreezer = fallbackFreezer
    }

    deinit { if let b = commandBus { sd_bus_flush_close_unref(b) } }

    /// The unit name of job `id`.
    public static func unitName(jobID: Int64) -> String { "verdant-job-\(jobID).service" }

    /// Checks that the system bus and the manager answer.
    /// - Throws: `JobExecutorError` with the bus error.
    /// - Returns: systemd's version string.
    @discardableResult
    public func probe() throws -> String {
        try withBus { bus -> String in
            var version = [CChar](repeating: 0, count: 128)
            var msg = [CChar](repeating: 0, count: 512)
            let r = verdant_manager_version(bus, &version, version.count, &msg, msg.count)
            if r < 0 { throw JobExecutorError("systemd does not answer on the system bus: \(cText(msg))") }
            return cText(version)
        }
    }

    // MARK: JobExecutor

    public func launch(_ request: JobLaunchRequest) throws -> JobExecutorHandle {
        guard let first = request.command.first else { throw JobExecutorError("no command to run") }
        let pathVar = request.environment.first(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/bin:/usr/bin:/bin"
        guard let exe = Self.resolve(first, path: pathVar, cwd: request.workingDirectory) else {
            if first.contains("/") { throw JobExecutorError("command '\(first)' does not exist or is not executable") }
            throw JobExecutorError("command '\(first)' not found in PATH (\(pathVar)): give an absolute path or fix PATH")
        }
        let unit = Self.unitName(jobID: request.jobID)
        let user = Self.userName(uid: request.uid) ?? String(request.uid)
        let group = Self.groupName(gid: request.gid) ?? String(request.gid)
        let mask = try request.allowedCPUs.map { try Self.cpuMask($0) }
        let description = "Verdant job \(request.jobID): \(request.command.joined(separator: " "))"
        // A unit of the same name left over from an earlier state folder: clear it (it is not ours to follow).
        _ = try? withBus { bus in
            var msg = [CChar](repeating: 0, count: 256)
            _ = verdant_unit_call(bus, "ResetFailedUnit", unit, 0, &msg, msg.count)
        }
        try withCStrings(request.command) { argv in
            try withCStrings(request.environment) { env in
                try withBus { bus in
                    var msg = [CChar](repeating: 0, count: 1024)
                    let r: Int32 = unit.withCString { cUnit in
                        description.withCString { cDesc in
                            slice.withCString { cSlice in
                                exe.withCString { cExe in
                                    request.workingDirectory.withCString { cCwd in
                                        user.withCString { cUser in
                                            group.withCString { cGroup in
                                                (mask ?? []).withUnsafeBufferPointer { m in
                                                    var spec = verdant_unit_spec(
                                                        name: cUnit, description: cDesc, slice: cSlice, exec_path: cExe,
                                                        argv: argv, env: env, working_directory: cCwd, user: cUser, group: cGroup,
                                                        cpu_quota_usec_per_sec: request.cpuQuotaPercent.map { UInt64(max(1, $0 * 10_000)) } ?? 0,
                                                        allowed_cpus_mask: mask == nil ? nil : m.baseAddress,
                                                        allowed_cpus_len: m.count,
                                                        memory_max_bytes: request.memoryMaxBytes ?? 0,
                                                        timeout_stop_usec: UInt64(stopTimeoutSeconds * 1e6))
                                                    return verdant_start_transient(bus, &spec, &msg, msg.count)
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                    if r < 0 {
                        throw JobExecutorError("StartTransientUnit \(unit) failed: \(cText(msg))")
                    }
                }
            }
        }
        let st = try? state(unit)
        return JobExecutorHandle(executor: name, reference: unit, pid: st.flatMap { $0.mainPID },
                                 cgroupPath: st.flatMap { $0.controlGroup })
    }

    public func waitForEnd(_ handle: JobExecutorHandle) async -> JobEnd {
        startWatcher()
        return await withCheckedContinuation { (c: CheckedContinuation<JobEnd, Never>) in
            lock.lock()
            waiters[handle.reference] = c
            lock.unlock()
        }
    }

    public func cpuSeconds(_ handle: JobExecutorHandle) -> Double? {
        guard let st = try? state(handle.reference), let cpu = st.cpuSeconds else { return nil }
        lock.lock(); lastCPU[handle.reference] = cpu; lock.unlock()
        return cpu
    }

    /// `terminate`: `StopUnit` (SIGTERM, SIGKILL after `TimeoutStopSec=`); `kill`: `KillUnit` with SIGKILL to all.
    public func stop(_ handle: JobExecutorHandle, mode: JobStopMode) {
        _ = try? withBus { bus in
            var msg = [CChar](repeating: 0, count: 512)
            // A frozen unit cannot stop: thaw it first (no-op when not frozen).
            _ = verdant_unit_call(bus, "ThawUnit", handle.reference, 0, &msg, msg.count)
            if mode == .kill {
                _ = verdant_unit_kill(bus, handle.reference, SIGKILL, &msg, msg.count)
            } else {
                _ = verdant_unit_kill(bus, handle.reference, SIGTERM, &msg, msg.count)
            }
        }
        if let pids = try? unitPids(handle), !pids.isEmpty { try? fallbackFreezer?(handle.reference, pids, false) }
    }

    /// `KillUnit` with `signal` to all the unit's processes.
    public func signal(_ handle: JobExecutorHandle, _ signal: Int32) throws {
        try withBus { bus in
            var msg = [CChar](repeating: 0, count: 512)
            guard verdant_unit_kill(bus, handle.reference, signal, &msg, msg.count) >= 0 else {
                throw JobExecutorError("KillUnit \(handle.reference) signal \(signal) failed: \(String(cString: msg))")
            }
        }
    }

    /// `FreezeUnit`; where systemd refuses it (cgroup v1), the injected fallback freezer.
    public func pause(_ handle: JobExecutorHandle) throws {
        try freeze(handle, method: "FreezeUnit", freeze: true)
    }

    /// `ThawUnit`; where systemd refuses it, the injected fallback freezer.
    public func resume(_ handle: JobExecutorHandle) throws {
        try freeze(handle, method: "ThawUnit", freeze: false)
    }

    /// A unit that still runs is followed again; one that ended (still loaded thanks to
    /// `RemainAfterExit=yes`, or failed) gives its end; one systemd no longer knows ended unseen.
    public func adopt(_ handle: JobExecutorHandle) -> JobAdoption {
        guard let st = try? state(handle.reference) else { return .ended(nil) }
        if st.ended {
            let end = st.end(lastCPU: nil)
            cleanUp(handle.reference, failed: st.activeState == "failed")
            return .ended(end)
        }
        var h = handle
        h.pid = st.mainPID ?? h.pid
        h.cgroupPath = st.controlGroup ?? h.cgroupPath
        return .adopted(h)
    }

    /// The unit's journal (`_SYSTEMD_UNIT=`), one line per record, at most the last `maxBytes`.
    public func output(_ handle: JobExecutorHandle, maxBytes: Int) -> (source: String, text: String)? {
        final class Box { var text = "" }
        let box = Box()
        let r = handle.reference.withCString { unit in
            verdant_journal_unit_messages(unit, { msg, n, ctx in
                let b = Unmanaged<Box>.fromOpaque(ctx!).takeUnretainedValue()
                b.text += String(decoding: UnsafeRawBufferPointer(start: msg, count: n), as: UTF8.self) + "\n"
            }, Unmanaged.passUnretained(box).toOpaque())
        }
        guard r >= 0 else { return nil }
        let bytes = Array(box.text.utf8)
        let text = bytes.count > maxBytes ? String(decoding: bytes.suffix(maxBytes), as: UTF8.self) : box.text
        return ("journal:\(handle.reference)", text)
    }

    // MARK: Unit state

    struct UnitState {
        var loadState, activeState, subState: String
        var controlGroup: String?
        var execMainCode, execMainStatus: Int32
        var mainPID: Int32?
        var cpuSeconds: Double?

        /// The main process has ended: `RemainAfterExit` keeps a successful unit `active (exited)`; a
        /// failed one is `failed`; a stopped one `inactive`.
        var ended: Bool {
            subState == "exited" || activeState == "failed" || (activeState == "inactive" && execMainCode != 0)
                || (activeState == "inactive" && loadState != "loaded")
        }

        func end(lastCPU: Double?) -> JobEnd {
            // CLD_EXITED = 1; CLD_KILLED = 2, CLD_DUMPED = 3 (<sys/wait.h> si_code values).
            switch execMainCode {
            case 1: return JobEnd(exitCode: execMainStatus, signal: nil, cpuSeconds: cpuSeconds ?? lastCPU)
            case 2, 3: return JobEnd(exitCode: nil, signal: execMainStatus, cpuSeconds: cpuSeconds ?? lastCPU)
            default: return JobEnd(exitCode: nil, signal: nil, cpuSeconds: cpuSeconds ?? lastCPU)
            }
        }
    }

    /// - Throws: `JobExecutorError`; `nil` result never: an unknown unit throws `JobExecutorError("no such unit")`.
    func state(_ unit: String) throws -> UnitState {
        try withBus { bus in try Self.readState(bus, unit) }
    }

    static func readState(_ bus: OpaquePointer, _ unit: String) throws -> UnitState {
        var st = verdant_unit_state()
        var msg = [CChar](repeating: 0, count: 512)
        let r = verdant_unit_state_get(bus, unit, &st, &msg, msg.count)
        if r == -ENOENT { throw JobExecutorError("systemd does not know \(unit)") }
        if r < 0 { throw JobExecutorError("reading \(unit) failed: \(cText(msg))") }
        func s<T>(_ t: inout T) -> String { withUnsafeBytes(of: &t) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) } }
        let cg = s(&st.control_group)
        return UnitState(loadState: s(&st.load_state), activeState: s(&st.active_state), subState: s(&st.sub_state),
                         controlGroup: cg.isEmpty ? nil : cg,
                         execMainCode: st.exec_main_code, execMainStatus: st.exec_main_status,
                         mainPID: st.main_pid == 0 ? nil : Int32(st.main_pid),
                         cpuSeconds: st.cpu_usage_nsec == UInt64.max ? cgroupCPUSeconds(cg) : Double(st.cpu_usage_nsec) / 1e9)
    }

    /// CPU time from the unit's cgroup in a v2 hierarchy (`cpu.stat` `usage_usec`, which the kernel keeps
    /// for every v2 cgroup even without the cpu controller): where systemd has no CPU accounting (a
    /// cgroup v1 host whose `cpu` and `cpuacct` are not mounted together, so `CPUUsageNSec` is unset).
    static func cgroupCPUSeconds(_ controlGroup: String) -> Double? {
        guard !controlGroup.isEmpty else { return nil }
        for root in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup"] {
            guard let s = KernelFile.readText(root + controlGroup + "/cpu.stat") else { continue }
            for line in s.split(separator: "\n") where line.hasPrefix("usage_usec ") {
                if let us = Double(line.dropFirst("usage_usec ".count)) { return us / 1e6 }
            }
        }
        return nil
    }

    /// Deactivates an ended unit (it then unloads) and clears a failed one.
    private func cleanUp(_ unit: String, failed: Bool) {
        _ = try? withBus { bus in
            var msg = [CChar](repeating: 0, count: 256)
            _ = verdant_unit_call(bus, "StopUnit", unit, 1, &msg, msg.count)
            _ = verdant_unit_call(bus, "ResetFailedUnit", unit, 0, &msg, msg.count)
        }
    }

    private func freeze(_ handle: JobExecutorHandle, method: String, freeze: Bool) throws {
        var message = ""
        let r = try withBus { bus -> Int32 in
            var msg = [CChar](repeating: 0, count: 512)
            let r = verdant_unit_call(bus, method, handle.reference, 0, &msg, msg.count)
            message = cText(msg)
            return r
        }
        if r >= 0 {
            recordFreezer(method)
            return
        }
        guard let fallbackFreezer else {
            throw JobExecutorError("\(method) \(handle.reference) failed: \(message); no cgroup freezer to fall back to")
        }
        let pids = try unitPids(handle)
        try fallbackFreezer(handle.reference, pids, freeze)
        recordFreezer("cgroup freezer (\(method) refused: \(message))")
    }

    private func recordFreezer(_ what: String) {
        lock.lock()
        lastFreezerUsed = what
        lock.unlock()
    }

    /// What the last pause or resume used: `FreezeUnit`/`ThawUnit` (systemd on the unified cgroup
    /// hierarchy), or `cgroup freezer (… refused: <systemd's error>)` where systemd cannot freeze units
    /// (cgroup v1 or hybrid hosts); `nil` before the first.
    public var lastFreezer: String? {
        lock.lock()
        defer { lock.unlock() }
        return lastFreezerUsed
    }

    /// The unit's processes, from its cgroup's `cgroup.procs` in the hierarchy systemd tracks it in.
    func unitPids(_ handle: JobExecutorHandle) throws -> [Int32] {
        guard let cg = (try? state(handle.reference))?.controlGroup ?? handle.cgroupPath else { return [] }
        for root in ["/sys/fs/cgroup/unified", "/sys/fs/cgroup/systemd", "/sys/fs/cgroup"] {
            if let s = KernelFile.readText(root + cg + "/cgroup.procs") {
                return s.split(separator: "\n").compactMap { Int32($0) }
            }
        }
        return []
    }

    // MARK: Bus

    /// Runs `body` with the command connection, under the lock; reopens a broken connection once.
    private func withBus<R>(_ body: (OpaquePointer) throws -> R) throws -> R {
        lock.lock()
        defer { lock.unlock() }
        if commandBus == nil {
            var b: OpaquePointer?
            let r = verdant_bus_open(&b)
            guard r >= 0, let b else {
                throw JobExecutorError("cannot connect to the system bus: \(String(cString: strerror(-r))); is systemd (and D-Bus) running?")
            }
            commandBus = b
        }
        if sd_bus_is_open(commandBus) <= 0 {
            sd_bus_flush_close_unref(commandBus)
            commandBus = nil
            var b: OpaquePointer?
            guard verdant_bus_open(&b) >= 0, let b else { throw JobExecutorError("the system bus connection broke and could not be reopened") }
            commandBus = b
        }
        return try body(commandBus!)
    }

    private func startWatcher() {
        lock.lock()
        defer { lock.unlock() }
        guard !watcherStarted else { return }
        watcherStarted = true
        let t = Thread { [weak self] in self?.watch() }
        t.name = "verdant-systemd-watch"
        t.start()
    }

    /// The watcher: its own connection, woken by unit signals, re-reads every followed unit.
    private func watch() {
        var bus: OpaquePointer?
        while true {
            if bus == nil {
                var b: OpaquePointer?
                var msg = [CChar](repeating: 0, count: 512)
                if verdant_bus_open(&b) >= 0, let b, verdant_bus_watch_units(b, &msg, msg.count) >= 0 {
                    bus = b
                } else {
                    if let b { sd_bus_flush_close_unref(b) }
                    usleep(500_000)
                    continue
                }
            }
            if verdant_bus_pump(bus, 250_000) < 0 {
                sd_bus_flush_close_unref(bus)
                bus = nil
                continue
            }
            lock.lock()
            let followed = Array(waiters.keys)
            lock.unlock()
            for unit in followed {
                let st: UnitState
                do {
                    st = try Self.readState(bus!, unit)
                } catch {
                    // Unknown to systemd: it ended and was collected; its end is unknown.
                    if "\(error)".contains("does not know") { finish(unit, end: JobEnd(exitCode: nil, signal: nil, cpuSeconds: nil)) }
                    continue
                }
                if st.ended {
                    lock.lock(); let last = lastCPU[unit]; lock.unlock()
                    finish(unit, end: st.end(lastCPU: last))
                    cleanUp(unit, failed: st.activeState == "failed")
                } else if let cpu = st.cpuSeconds {
                    lock.lock(); lastCPU[unit] = cpu; lock.unlock()
                }
            }
        }
    }

    private func finish(_ unit: String, end: JobEnd) {
        lock.lock()
        let c = waiters.removeValue(forKey: unit)
        lastCPU.removeValue(forKey: unit)
        lock.unlock()
        c?.resume(returning: end)
    }

    // MARK: Helpers

    static func resolve(_ command: String, path: String, cwd: String) -> String? {
        if command.contains("/") {
            let p = command.hasPrefix("/") ? command : cwd + "/" + command
            return access(p, X_OK) == 0 ? p : nil
        }
        for dir in path.split(separator: ":") where !dir.isEmpty {
            let p = dir + "/" + command
            var st = stat()
            if stat(p, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(p, X_OK) == 0 { return p }
        }
        return nil
    }

    static func userName(uid: UInt32) -> String? {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pwd, &buf, buf.count, &result) == 0, result != nil, let n = pwd.pw_name else { return nil }
        return String(cString: n)
    }

    static func groupName(gid: UInt32) -> String? {
        var grp = group()
        var result: UnsafeMutablePointer<group>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getgrgid_r(gid, &grp, &buf, buf.count, &result) == 0, result != nil, let n = grp.gr_name else { return nil }
        return String(cString: n)
    }

    /// `AllowedCPUs=` as systemd's D-Bus byte mask (bit n of byte n/8 = CPU n), from a list like `0-3,8`.
    /// - Throws: `JobExecutorError` naming the bad part.
    public static func cpuMask(_ list: String) throws -> [UInt8] {
        var cpus: [Int] = []
        for part in list.split(separator: ",") {
            let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard let lo = bounds.first ?? nil, lo >= 0, lo < 8192 else { throw JobExecutorError("allowed CPUs '\(list)': '\(part)' is not a CPU number or range like 0-3") }
            let hi = bounds.count == 2 ? (bounds[1] ?? -1) : lo
            guard hi >= lo, hi < 8192 else { throw JobExecutorError("allowed CPUs '\(list)': '\(part)' is not a range like 0-3") }
            cpus += Array(lo...hi)
        }
        guard let top = cpus.max() else { throw JobExecutorError("allowed CPUs '\(list)' names no CPU") }
        var mask = [UInt8](repeating: 0, count: top / 8 + 1)
        for c in cpus { mask[c / 8] |= UInt8(1 << (c % 8)) }
        return mask
    }
}

/// Calls `body` with a NULL-terminated `const char *[]` copy of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R) rethrows -> R {
    let dup: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { for p in dup { free(p) } }
    var ptrs: [UnsafePointer<CChar>?] = dup.map { $0.map { UnsafePointer($0) } }
    ptrs.append(nil)
    return try ptrs.withUnsafeBufferPointer { try body($0.baseAddress!) }
}

/// The NUL-terminated text in a C buffer.
func cText(_ a: [CChar]) -> String {
    String(decoding: a.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
