import CVerdantSpawn
import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// A job could not be started or followed. Each case names what failed and what to do.
public enum ExecutorError: Error, CustomStringConvertible {
    case commandNotFound(String, path: String)
    case cgroup(path: String, message: String)
    case log(path: String, errno: Int32)
    case spawn(stage: String, errno: Int32, command: String)

    public var description: String {
        switch self {
        case let .commandNotFound(c, path):
            if c.contains("/") { return "command '\(c)' does not exist or is not executable" }
            return "command '\(c)' not found in PATH (\(path)): give an absolute path or fix PATH"
        case let .cgroup(path, message):
            return "cgroup \(path): \(message)"
        case let .log(path, e):
            return "cannot open job log \(path): \(String(cString: strerror(e)))"
        case let .spawn(stage, e, command):
            return "starting '\(command)' failed at \(stage): \(String(cString: strerror(e)))"
        }
    }
}

/// What to start.
public struct LaunchRequest: Sendable {
    public var jobID: Int64
    public var command: [String]
    public var workingDirectory: String
    public var environment: [String]
    public var uid: UInt32
    public var gid: UInt32
    public var logPath: String
    /// The job's declared memory (`--memory`, bytes), enforced in its cgroup (`CgroupMemoryLimit`); nil: none.
    public var memoryMaxBytes: UInt64?

    public init(jobID: Int64, command: [String], workingDirectory: String, environment: [String],
                uid: UInt32, gid: UInt32, logPath: String, memoryMaxBytes: UInt64? = nil) {
        self.memoryMaxBytes = memoryMaxBytes
        self.jobID = jobID
        self.command = command
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.uid = uid
        self.gid = gid
        self.logPath = logPath
    }
}

/// A started job.
public struct LaunchedProcess: Sendable {
    public let pid: Int32
    /// The job's cgroup, or `nil` when none could be used (CPU time then comes from `wait4`'s rusage).
    public let cgroup: JobCgroup?
}

/// How a job's main process ended.
public struct ProcessExit: Sendable, Hashable {
    /// Exit status when it exited, else `nil`.
    public let exitCode: Int32?
    /// Terminating signal when it was killed, else `nil`.
    public let signal: Int32?
    /// User + system CPU-seconds of the process and its waited-for children (getrusage(2)).
    public let rusageCPUSeconds: Double
}

/// Starts jobs as their submitting user, each in its own cgroup, with stdout and stderr in a log file.
public final class ProcessExecutor: Sendable {
    /// Where job cgroups go; `nil` when no hierarchy is usable.
    public let layout: CgroupLayout?
    /// Distinguishes this daemon's job cgroups from another daemon's on the same machine
    /// (`job-<id>-<instance hash>`).
    public let instanceTag: String
    /// Each running job's CPU accounting file, kept open between sampler ticks.
    let counterFiles = CgroupCounterFiles()

    /// - Parameters:
    ///   - layout: where job cgroups go.
    ///   - instance: a string unique to this daemon (its absolute state folder), hashed (FNV-1a, 32 bit) into cgroup names.
    public init(layout: CgroupLayout?, instance: String) {
        self.layout = layout
        var h: UInt32 = 2_166_136_261
        for b in instance.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        instanceTag = String(h, radix: 16)
    }

    /// Starts a job.
    /// - Throws: `ExecutorError` when the command cannot be found, the log or cgroup cannot be
    ///   created, or the process cannot be started (the job is then recorded as failed with this message).
    public func launch(_ r: LaunchRequest) throws -> LaunchedProcess {
        guard let first = r.command.first else { throw ExecutorError.commandNotFound("", path: "") }
        let pathVar = r.environment.first(where: { $0.hasPrefix("PATH=") }).map { String($0.dropFirst(5)) }
            ?? "/usr/local/bin:/usr/bin:/bin"
        guard let exe = Self.resolve(first, path: pathVar, cwd: r.workingDirectory) else {
            throw ExecutorError.commandNotFound(first, path: pathVar)
        }
        let fd = open(r.logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw ExecutorError.log(path: r.logPath, errno: errno) }
        defer { close(fd) }
        _ = fchown(fd, r.uid, r.gid)

        var cgroup: JobCgroup?
        if let layout { cgroup = try JobCgroup.create(layout: layout, name: "job-\(r.jobID)-\(instanceTag)") }
        // --memory: memory.max (v2) in the job cgroup, or a v1 memory cgroup the child joins too.
        var memoryProcs: String?
        if let bytes = r.memoryMaxBytes, let cg = cgroup {
            do {
                memoryProcs = try CgroupMemoryLimit.apply(bytes, to: cg)
            } catch {
                cg.remove()
                throw error
            }
        }

        let changeIDs = r.uid != geteuid() || r.gid != getegid()
        let groups = changeIDs ? Self.supplementaryGroups(uid: r.uid, gid: r.gid) : []
        var pid: pid_t = 0
        var err: Int32 = 0
        var stage: Int32 = 0
        let rc = withCStrings(r.command) { argv in
            withCStrings(r.environment) { envp in
                groups.withUnsafeBufferPointer { g in
                    verdant_spawn(exe, argv, envp, r.workingDirectory, cgroup?.procsFile, memoryProcs,
                                  changeIDs ? 1 : 0, r.uid, r.gid, g.baseAddress, g.count, fd,
                                  &pid, &err, &stage)
                }
            }
        }
        guard rc == 0 else {
            if let cg = cgroup { CgroupMemoryLimit.remove(cg) }
            cgroup?.remove()
            throw ExecutorError.spawn(stage: Self.stageName(stage), errno: err, command: r.command.joined(separator: " "))
        }
        return LaunchedProcess(pid: pid, cgroup: cgroup)
    }

    /// Waits for `pid` to end without blocking the caller's thread (one blocking `wait4` on a
    /// dedicated thread per job).
    public func waitForExit(pid: Int32) async -> ProcessExit {
        await withCheckedContinuation { (cont: CheckedContinuation<ProcessExit, Never>) in
            let thread = Thread {
                var status: Int32 = 0
                var usage = rusage()
                while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
                let cpu = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
                    + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
                // WIFEXITED / WTERMSIG from <sys/wait.h>, which Swift does not import as functions.
                let termsig = status & 0x7f
                if termsig == 0 {
                    cont.resume(returning: ProcessExit(exitCode: (status >> 8) & 0xff, signal: nil, rusageCPUSeconds: cpu))
                } else {
                    cont.resume(returning: ProcessExit(exitCode: nil, signal: termsig, rusageCPUSeconds: cpu))
                }
            }
            thread.start()
        }
    }

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

    static func supplementaryGroups(uid: UInt32, gid: UInt32) -> [gid_t] {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buf = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &pwd, &buf, buf.count, &result) == 0, result != nil, let name = pwd.pw_name else {
            return [gid]
        }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            _ = getgrouplist(name, gid, &groups, &count)
        }
        return Array(groups.prefix(Int(max(count, 0))))
    }

    static func stageName(_ s: Int32) -> String {
        switch UInt32(s) {
        case VERDANT_SPAWN_FORK.rawValue: return "fork"
        case VERDANT_SPAWN_CGROUP.rawValue: return "joining the job cgroup"
        case VERDANT_SPAWN_SETGROUPS.rawValue: return "setgroups"
        case VERDANT_SPAWN_SETGID.rawValue: return "setgid"
        case VERDANT_SPAWN_SETUID.rawValue: return "setuid"
        case VERDANT_SPAWN_CHDIR.rawValue: return "changing to the working directory"
        case VERDANT_SPAWN_EXEC.rawValue: return "exec"
        default: return "pipe"
        }
    }
}

/// Calls `body` with a NULL-terminated `char *[]` copy of `strings`.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress!) }
}
