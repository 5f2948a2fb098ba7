import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// Slurm through its client commands (`sbatch`, `squeue`, `sacct`, `scontrol`, `scancel`), run with
/// Foundation's `Process`. The cluster is found the usual way: `SLURM_CONF` when `configuration` is
/// given (or set in verdantd's environment), else the clients' built-in default (`/etc/slurm/slurm.conf`).
///
/// Every command runs with a time limit (`timeoutSeconds`); a command that ran past it, or whose
/// message says the controller was not reached, is `BatchSchedulerError.unreachable`.
public actor SlurmCLI: BatchScheduler {
    /// `SLURM_CONF` for the clients; `nil` = inherit verdantd's environment.
    public let configuration: String?
    /// Folder of the client commands; `nil` = search `PATH`.
    public let binDirectory: String?
    /// Longest wait for one client command (s). Slurm's own `MessageTimeout` is 10 s by default
    /// (slurm.conf(5)); a client retries the controller once, so 30 s covers a slow answer.
    public let timeoutSeconds: Double
    private var cachedClusterName: String?

    public init(configuration: String? = nil, binDirectory: String? = nil, timeoutSeconds: Double = 30) {
        self.configuration = configuration
        self.binDirectory = binDirectory
        self.timeoutSeconds = timeoutSeconds
    }

    /// `ClusterName` from `scontrol show config`; `"slurm"` when it cannot be read now (asked again later).
    public var clusterName: String {
        get async {
            if let cachedClusterName { return cachedClusterName }
            guard let out = try? await run("scontrol", ["show", "config"]), out.status == 0 else { return "slurm" }
            for line in out.stdout.split(whereSeparator: \.isNewline) {
                let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if kv.count == 2, kv[0] == "ClusterName", !kv[1].isEmpty {
                    cachedClusterName = kv[1]
                    return kv[1]
                }
            }
            return "slurm"
        }
    }

    /// Whether slurmctld answers (`scontrol ping`).
    public func ping() async -> Bool {
        (try? await run("scontrol", ["ping"]))?.status == 0
    }

    public func submit(_ s: BatchSubmission) async throws -> Int64 {
        let asUser = getuid() == 0 && s.uid != 0
        var env: [String: String] = [:]
        for kv in s.environment {
            guard let eq = kv.firstIndex(of: "=") else { continue }
            env[String(kv[..<eq])] = String(kv[kv.index(after: eq)...])
        }
        // The job gets its submitter's environment, but the client must find this cluster.
        if let configuration { env["SLURM_CONF"] = configuration } else if let c = ProcessInfo.processInfo.environment["SLURM_CONF"] { env["SLURM_CONF"] = c }
        if env["PATH"] == nil { env["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin" }
        let out = try await run("sbatch", SlurmParsing.sbatchArguments(s, asUser: asUser),
                                stdin: Data(SlurmParsing.batchScript(command: s.command).utf8), environment: env)
        guard out.status == 0 else { throw SlurmParsing.classifyFailure(tool: "sbatch", stderr: out.stderr) }
        guard let id = SlurmParsing.sbatchJobID(out.stdout) else {
            throw BatchSchedulerError.failed("sbatch --parsable printed '\(out.stdout)', not a job id")
        }
        return id
    }

    /// Jobs still in slurmctld's memory from `squeue --json --states=all` (Slurm 22.05 applies no
    /// job filter with `--json`, so the wanted ids are picked here); the others from `sacct`
    /// (`sacct -c`, the job-completion file, when the cluster has no accounting storage).
    public func status(ids: [Int64]) async throws -> [Int64: BatchJobStatus] {
        guard !ids.isEmpty else { return [:] }
        let wanted = Set(ids)
        let q = try await run("squeue", ["--json", "--states=all"])
        if q.status != 0 { throw SlurmParsing.classifyFailure(tool: "squeue", stderr: q.stderr) }
        var found: [Int64: BatchJobStatus] = [:]
        for s in try SlurmParsing.squeueJSON(Data(q.stdout.utf8)) where wanted.contains(s.id) { found[s.id] = s }
        // Energy is only in accounting: ask sacct for ended jobs too, and for jobs squeue forgot.
        let ask = ids.filter { found[$0] == nil || found[$0]!.phase.isFinal }
        if !ask.isEmpty, let acct = try? await accounting(ids: ask) {
            for (id, a) in acct {
                if var s = found[id] {
                    s.consumedEnergy = a.consumedEnergy
                    if s.elapsedSeconds == nil { s.elapsedSeconds = a.elapsedSeconds }
                    found[id] = s
                } else {
                    found[id] = a
                }
            }
        }
        return found
    }

    /// `sacct --parsable2 --allocations` for the given jobs (from 2000 on: sacct's default window is
    /// today only); falls back to `sacct -c` when the cluster stores no accounting.
    public func accounting(ids: [Int64]) async throws -> [Int64: BatchJobStatus] {
        let args = ["--parsable2", "--allocations", "--starttime=2000-01-01",
                    "--jobs=" + ids.map(String.init).joined(separator: ","),
                    "--format=" + SlurmParsing.sacctFields.joined(separator: ",")]
        var out = try await run("sacct", args)
        if out.status != 0, out.stderr.contains("accounting storage is disabled") {
            out = try await run("sacct", ["--completion"] + args)
        }
        guard out.status == 0 else { throw SlurmParsing.classifyFailure(tool: "sacct", stderr: out.stderr) }
        var r: [Int64: BatchJobStatus] = [:]
        for s in try SlurmParsing.sacctParsable2(out.stdout) { r[s.id] = s }
        return r
    }

    public func moveBegin(id: Int64, to begin: Date) async throws {
        let out = try await run("scontrol", ["update", "JobId=\(id)", "StartTime=\(SlurmParsing.timeString(begin))"])
        guard out.status == 0 else { throw SlurmParsing.classifyFailure(tool: "scontrol", stderr: out.stderr + out.stdout) }
    }

    public func cancel(id: Int64) async throws {
        let out = try await run("scancel", ["\(id)"])
        guard out.status == 0 else { throw SlurmParsing.classifyFailure(tool: "scancel", stderr: out.stderr) }
    }

    // MARK: Running the clients

    struct Output: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs one client command to its end (or `timeoutSeconds`), collecting both outputs.
    func run(_ tool: String, _ arguments: [String], stdin: Data? = nil, environment: [String: String]? = nil) async throws -> Output {
        let exe = try locate(tool)
        var env = environment ?? ProcessInfo.processInfo.environment
        if environment == nil, let configuration { env["SLURM_CONF"] = configuration }
        let timeout = timeoutSeconds
        let processEnvironment = env
        return try await withCheckedThrowingContinuation { (cont: CheckedContinuation<Output, Error>) in
            DispatchQueue.global().async {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: exe)
                p.arguments = arguments
                p.environment = processEnvironment
                let outPipe = Pipe(), errPipe = Pipe(), inPipe = Pipe()
                p.standardOutput = outPipe
                p.standardError = errPipe
                p.standardInput = stdin == nil ? FileHandle.nullDevice : inPipe
                do {
                    try p.run()
                } catch {
                    cont.resume(throwing: BatchSchedulerError.failed("cannot run \(exe): \(error)"))
                    return
                }
                if let stdin {
                    inPipe.fileHandleForWriting.write(stdin)
                    try? inPipe.fileHandleForWriting.close()
                }
                let timedOut = Flag()
                let timer = DispatchWorkItem {
                    if p.isRunning { timedOut.set(); p.terminate() }
                }
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: timer)
                let errBox = DataBox()
                let group = DispatchGroup()
                group.enter()
                DispatchQueue.global().async {
                    errBox.data = errPipe.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let outData = outPipe.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                p.waitUntilExit()
                timer.cancel()
                if timedOut.isSet {
                    cont.resume(throwing: BatchSchedulerError.unreachable("\(tool) did not answer within \(Int(timeout)) s"))
                    return
                }
                cont.resume(returning: Output(status: p.terminationStatus,
                                              stdout: String(decoding: outData, as: UTF8.self),
                                              stderr: String(decoding: errBox.data, as: UTF8.self)))
            }
        }
    }

    /// The full path of a client command.
    /// - Throws: `BatchSchedulerError.failed` naming the package to install when it is not found.
    func locate(_ tool: String) throws -> String {
        let dirs = binDirectory.map { [$0] }
            ?? (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        for d in dirs {
            let path = (d as NSString).appendingPathComponent(tool)
            if access(path, X_OK) == 0 { return path }
        }
        throw BatchSchedulerError.failed("\(tool) not found in \(dirs.joined(separator: ":")): install Slurm's clients (Debian: apt-get install slurm-client)")
    }
}

/// One-way flag set from a timer thread, read after the process ended.
private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.lock(); value = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// Bytes read on another thread; read only after `DispatchGroup.wait`.
private final class DataBox: @unchecked Sendable {
    var data = Data()
}
