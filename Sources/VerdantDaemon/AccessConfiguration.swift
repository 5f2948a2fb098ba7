import ArgumentParser
import Foundation
import VerdantAPI
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// Who may see what, and how much each user may ask for (issue 10). Keys in the configuration file:
/// `admin-group`, `max-queued-jobs-per-user`, `max-cores-per-job`, `max-gpus-per-job`, `max-deadline`;
/// each is also a `verdantd` option of the same name. Unset = no limit (and no admin group: only root
/// sees every job).
public struct AccessConfiguration: Sendable, Equatable {
    /// Unix group whose members see, show and cancel every user's jobs (`admin-group`).
    public var adminGroup: String?
    /// Jobs one user may have queued at once (`max-queued-jobs-per-user`).
    public var maxQueuedJobsPerUser: Int?
    /// Cores one job may request (`max-cores-per-job`).
    public var maxCoresPerJob: Int?
    /// GPUs one job may request (`max-gpus-per-job`).
    public var maxGPUsPerJob: Int?
    /// Longest deadline from submission, seconds (`max-deadline`, a duration such as 7d or 48h).
    public var maxDeadlineSeconds: Double?

    /// The file keys.
    public static let keys = ["admin-group", "max-queued-jobs-per-user", "max-cores-per-job", "max-gpus-per-job", "max-deadline"]

    public init() {}

    /// Reads the access keys of a configuration file.
    /// - Throws: `ConfigurationError` naming the file, line and key of a bad value.
    mutating func apply(_ f: YAMLFields, file: String) throws {
        if let v = try f.string("admin-group") {
            guard !v.isEmpty else { throw ConfigurationError(file: file, line: f.line("admin-group"), message: "'admin-group' must name a Unix group") }
            adminGroup = v
        }
        func count(_ key: String) throws -> Int? {
            guard let s = try f.string(key) else { return nil }
            guard let n = Int(s), n >= 0 else {
                throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be a whole number 0 or more, got '\(s)'")
            }
            return n
        }
        if let v = try count("max-queued-jobs-per-user") { maxQueuedJobsPerUser = v }
        if let v = try count("max-cores-per-job") { maxCoresPerJob = v }
        if let v = try count("max-gpus-per-job") { maxGPUsPerJob = v }
        if let v = try f.seconds("max-deadline") {
            guard v > 0 else { throw ConfigurationError(file: file, line: f.line("max-deadline"), message: "'max-deadline' must be longer than 0") }
            maxDeadlineSeconds = v
        }
    }
}

/// `verdantd` options for the access keys (override the file).
struct AccessOptions: ParsableArguments {
    @Option(name: .customLong("admin-group"), help: "Unix group whose members see and cancel every user's jobs.")
    var adminGroup: String?
    @Option(name: .customLong("max-queued-jobs-per-user"), help: "Jobs one user may have queued at once.")
    var maxQueued: Int?
    @Option(name: .customLong("max-cores-per-job"), help: "Cores one job may request.")
    var maxCores: Int?
    @Option(name: .customLong("max-gpus-per-job"), help: "GPUs one job may request.")
    var maxGPUs: Int?
    @Option(name: .customLong("max-deadline"), help: "Longest deadline from submission (e.g. 7d, 48h).")
    var maxDeadline: String?

    func apply(to c: inout DaemonConfiguration) throws {
        if let v = adminGroup { c.access.adminGroup = v }
        for (v, name) in [(maxQueued, "max-queued-jobs-per-user"), (maxCores, "max-cores-per-job"), (maxGPUs, "max-gpus-per-job")] {
            if let v, v < 0 { throw ValidationError("--\(name) must be 0 or more") }
        }
        if let v = maxQueued { c.access.maxQueuedJobsPerUser = v }
        if let v = maxCores { c.access.maxCoresPerJob = v }
        if let v = maxGPUs { c.access.maxGPUsPerJob = v }
        if let v = maxDeadline {
            guard let s = DurationSyntax.parseSeconds(v), s > 0 else { throw ValidationError("--max-deadline must be a duration such as 7d or 48h") }
            c.access.maxDeadlineSeconds = s
        }
    }
}

/// Decides, from the caller's `SO_PEERCRED` identity only, what the caller may see and submit.
public struct AccessPolicy: Sendable {
    public var configuration: AccessConfiguration

    public init(configuration: AccessConfiguration = AccessConfiguration()) {
        self.configuration = configuration
    }

    /// Root, and members of the admin group (primary group from the peer credentials, or a
    /// supplementary group of the caller's account from /etc/group via getgrouplist(3)).
    public func isAdmin(_ caller: Caller) -> Bool {
        if caller.uid == 0 { return true }
        guard let name = configuration.adminGroup, let gr = getgrnam(name) else { return false }
        let adminGID = gr.pointee.gr_gid
        if caller.gid == adminGID { return true }
        guard let pw = getpwuid(caller.uid), let user = pw.pointee.pw_name else { return false }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(user, caller.gid, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(user, caller.gid, &groups, &count) >= 0 else { return false }
        }
        return groups.prefix(Int(count)).contains(adminGID)
    }

    /// Whether `caller` may see, show and cancel `job`.
    public func mayAccess(_ job: Job, caller: Caller) -> Bool { job.uid == caller.uid || isAdmin(caller) }

    /// Checks a submission against the caller's identity and the configured limits.
    /// - Parameter queuedByCaller: jobs the caller has queued now.
    /// - Throws: `APIError` 403 for a request naming another user, 400 for a malformed environment or
    ///   working directory, 429 for a limit, each saying which limit and what to do.
    public func check(_ r: SubmitRequest, caller: Caller, deadline: Date, now: Date, queuedByCaller: Int) throws {
        if let uid = r.uid, uid != caller.uid {
            throw APIError(status: 403, "the request names uid \(uid) but comes from uid \(caller.uid): a job always runs as the user who submits it; submit it as that user")
        }
        if let gid = r.gid, gid != caller.gid {
            throw APIError(status: 403, "the request names gid \(gid) but comes from gid \(caller.gid): a job always runs with its submitter's groups")
        }
        try Self.checkEnvironment(r.environment)
        try Self.checkWorkingDirectory(r.workingDirectory, caller: caller)
        for arg in r.command where arg.utf8.contains(0) {
            throw APIError.badRequest("the command contains a NUL byte, which no program argument can hold: remove it")
        }
        let c = configuration
        if let max = c.maxQueuedJobsPerUser, queuedByCaller >= max {
            throw APIError(status: 429, "uid \(caller.uid) already has \(queuedByCaller) queued job(s), the limit is \(max) (max-queued-jobs-per-user); wait for some to start or cancel some")
        }
        if let n = r.cores {
            guard n >= 1 else { throw APIError.badRequest("--cores must be 1 or more, got \(n)") }
            if let max = c.maxCoresPerJob, n > max {
                throw APIError(status: 429, "the job requests \(n) cores, the limit is \(max) per job (max-cores-per-job); ask for \(max) or fewer")
            }
        }
        if let n = r.gpus {
            guard n >= 0 else { throw APIError.badRequest("--gpus must be 0 or more, got \(n)") }
            if let max = c.maxGPUsPerJob, n > max {
                throw APIError(status: 429, "the job requests \(n) GPUs, the limit is \(max) per job (max-gpus-per-job); ask for \(max) or fewer")
            }
        }
        if let max = c.maxDeadlineSeconds, deadline.timeIntervalSince(now) > max + 1e-6 {
            throw APIError(status: 429, "the deadline \(ISO8601.string(deadline)) is \(Int(deadline.timeIntervalSince(now)))s away, the limit is \(Int(max))s (max-deadline); give an earlier --deadline")
        }
    }

    /// At most 4,096 entries and 1 MiB in all, each `NAME=value` with a non-empty name of no `=` and
    /// no NUL byte (execve(2) takes `NAME=value` strings; ARG_MAX bounds their total).
    static func checkEnvironment(_ env: [String]) throws {
        guard env.count <= 4096 else { throw APIError.badRequest("the environment has \(env.count) variables; at most 4096 are accepted: submit from a smaller environment (env -i PATH=\"$PATH\" verdant submit …)") }
        var total = 0
        for (i, e) in env.enumerated() {
            total += e.utf8.count + 1
            guard let eq = e.firstIndex(of: "="), eq != e.startIndex, !e.utf8.contains(0) else {
                throw APIError.badRequest("environment entry \(i + 1) is not NAME=value (or holds a NUL byte): remove it from the environment verdant submit runs in")
            }
        }
        guard total <= 1 << 20 else { throw APIError.badRequest("the environment is \(total) bytes; at most 1 MiB is accepted: submit from a smaller environment (env -i PATH=\"$PATH\" verdant submit …)") }
    }

    /// Absolute, normalised (no `.`/`..` component, no NUL), an existing directory, and searchable by
    /// the caller by its mode bits (root: any directory).
    static func checkWorkingDirectory(_ path: String, caller: Caller) throws {
        guard path.hasPrefix("/"), !path.utf8.contains(0) else {
            throw APIError.badRequest("working directory '\(path)' is not an absolute path: send the resolved absolute path (verdant submit does)")
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !parts.contains(".."), !parts.contains(".") else {
            throw APIError.badRequest("working directory '\(path)' contains '.' or '..'; give the resolved path")
        }
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw APIError.badRequest("working directory '\(path)' does not exist or is not a directory: run verdant submit from the folder the job should run in")
        }
        guard caller.uid != 0 else { return }
        // Every folder on the way must be searchable (x) by the caller, the last one too.
        var prefix = ""
        for p in [""] + parts.map(String.init) {
            prefix = p.isEmpty ? "/" : (prefix == "/" ? "/" + p : prefix + "/" + p)
            var s = stat()
            guard stat(prefix, &s) == 0 else { throw APIError.badRequest("working directory '\(path)' cannot be read: run verdant submit from a folder you can enter") }
            let bit: mode_t = s.st_uid == caller.uid ? S_IXUSR : (s.st_gid == caller.gid ? S_IXGRP : S_IXOTH)
            guard s.st_mode & bit != 0 else {
                throw APIError(status: 403, "uid \(caller.uid) may not enter '\(prefix)', so cannot run a job in '\(path)'; choose a directory you can enter")
            }
        }
    }
}
