import Foundation
import VerdantCore

/// Pure readers and writers of Slurm's client formats (Slurm 22.05, Debian 12's `slurm-wlm`), kept
/// apart from the commands so they are tested on captured output. References: the man pages of
/// squeue(1), sacct(1), sbatch(1) and scontrol(1) of Slurm 22.05.
public enum SlurmParsing {
    // MARK: Times

    /// Slurm's time format for `--begin`, `--deadline` and `StartTime=`: `YYYY-MM-DDTHH:MM:SS` in the
    /// client's local time zone (sbatch(1), "--begin"), whole seconds (fractions are truncated).
    public static func timeString(_ date: Date, timeZone: TimeZone = .current) -> String {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// Reads a time printed by `sacct`/`scontrol` (`YYYY-MM-DDTHH:MM:SS`, local time).
    /// - Returns: `nil` for `Unknown`, `None`, empty text or anything else that is not such a time.
    public static func parseTime(_ text: String, timeZone: TimeZone = .current) -> Date? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let parts = t.split(whereSeparator: { $0 == "-" || $0 == "T" || $0 == ":" }).map { Int($0) }
        guard t.count == 19, parts.count == 6, parts.allSatisfy({ $0 != nil }) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = timeZone
        return cal.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2],
                                             hour: parts[3], minute: parts[4], second: parts[5]))
    }

    /// Reads an elapsed time: `[DD-[HH:]]MM:SS`, `HH:MM:SS`, `D-HH:MM:SS`, with optional fraction
    /// `MM:SS.mmm` (sacct(1), "Elapsed"; squeue(1), "%M").
    /// - Returns: seconds, or `nil` when the text is not such a time (`INVALID`, `UNLIMITED`, empty).
    public static func parseElapsed(_ text: String) -> Double? {
        var t = Substring(text.trimmingCharacters(in: .whitespaces))
        var days: Double?
        if let dash = t.firstIndex(of: "-") {
            guard let d = Double(t[..<dash]), d >= 0, d == d.rounded() else { return nil }
            days = d
            t = t[t.index(after: dash)...]
        }
        let fields = t.split(separator: ":", omittingEmptySubsequences: false).map { Double($0) }
        guard (1...3).contains(fields.count), fields.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
        let v = fields.map { $0! }
        // Only the seconds field may carry a fraction.
        guard v.dropLast().allSatisfy({ $0 == $0.rounded() }) else { return nil }
        // After a day part the rest is HH[:MM[:SS]]; without one it is [[HH:]MM:]SS.
        let scales: [Double] = days != nil ? Array([3600.0, 60, 1].prefix(v.count)) : Array([3600.0, 60, 1].suffix(v.count))
        return (days ?? 0) * 86400 + zip(v, scales).map { $0 * $1 }.reduce(0, +)
    }

    // MARK: States

    /// The phase of a Slurm job state name (squeue(1), "JOB STATE CODES"). `CANCELLED by 0` counts
    /// as `CANCELLED`.
    /// - Returns: `nil` for a name Slurm 22.05 does not have.
    public static func phase(ofState name: String) -> BatchJobPhase? {
        let state = name.split(separator: " ").first.map(String.init)?.uppercased() ?? ""
        switch state {
        case "PENDING", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESV_DEL_HOLD", "SUSPENDED", "STOPPED",
             "RESIZING", "SPECIAL_EXIT", "REVOKED":
            return .pending
        case "CONFIGURING", "RUNNING", "COMPLETING", "SIGNALING", "STAGE_OUT", "PREEMPTED":
            // A preempted job is requeued or cancelled next; until Slurm says which it still holds nodes.
            return .running
        case "COMPLETED":
            return .completed
        case "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE":
            return .failed
        case "CANCELLED":
            return .cancelled
        default:
            return nil
        }
    }

    // MARK: squeue --json

    private struct SqueueDocument: Decodable {
        struct Err: Decodable { var error: String?; var description: String? }
        struct J: Decodable {
            var job_id: Int64
            var job_state: String
            var state_reason: String?
            var eligible_time: Int64?
            var start_time: Int64?
            var end_time: Int64?
            var exit_code: Int64?
        }
        var errors: [Err]?
        var jobs: [J]
    }

    /// Reads `squeue --json` (openapi v0.0.38 of Slurm 22.05). Epoch times of 0 are "not set".
    /// Elapsed is end − start for an ended job, else `nil`; the exit code is the wait status word.
    /// - Throws: `BatchSchedulerError.unreachable` when the document carries errors (squeue exits 0
    ///   with `"errors"` when it cannot reach slurmctld), `.failed` when it is not such a document.
    public static func squeueJSON(_ data: Data) throws -> [BatchJobStatus] {
        let doc: SqueueDocument
        do {
            doc = try JSONDecoder().decode(SqueueDocument.self, from: data)
        } catch {
            throw BatchSchedulerError.failed("squeue --json printed something that is not its JSON document: \(error)")
        }
        if let errs = doc.errors, !errs.isEmpty {
            throw BatchSchedulerError.unreachable("squeue: " + errs.map { [$0.description, $0.error].compactMap { $0 }.joined(separator: ": ") }.joined(separator: "; "))
        }
        func date(_ v: Int64?) -> Date? { v.flatMap { $0 > 0 ? Date(timeIntervalSince1970: Double($0)) : nil } }
        return doc.jobs.compactMap { j in
            guard let phase = phase(ofState: j.job_state) else { return nil }
            let start = date(j.start_time), end = date(j.end_time)
            var elapsed: Double?
            if phase.isFinal, let s = start, let e = end { elapsed = max(0, e.timeIntervalSince(s)) }
            return BatchJobStatus(id: j.job_id, state: j.job_state, phase: phase,
                                  reason: j.state_reason, eligibleAt: date(j.eligible_time),
                                  startAt: start, endAt: end, elapsedSeconds: elapsed,
                                  exitCode: phase.isFinal ? j.exit_code.map(BatchExitCode.init(waitStatus:)) : nil)
        }
    }

    // MARK: sacct --parsable2

    /// The fields Verdant asks `sacct` for, in order (`--format`).
    public static let sacctFields = ["JobID", "State", "Eligible", "Start", "End", "Elapsed", "ExitCode", "ConsumedEnergyRaw"]

    /// Reads `sacct --parsable2 --allocations --format=<sacctFields>` (with its header line): one
    /// record per job; step lines (`12.batch`) are skipped. `ConsumedEnergyRaw` is joules
    /// (sacct(1)); empty or 0 when the cluster gathers no energy, read as `nil`.
    /// - Throws: `BatchSchedulerError.failed` when the header is not the one asked for.
    public static func sacctParsable2(_ text: String, timeZone: TimeZone = .current) throws -> [BatchJobStatus] {
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        guard !lines.isEmpty else { return [] }
        let header = lines.removeFirst().split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard header == sacctFields else {
            throw BatchSchedulerError.failed("sacct printed header '\(header.joined(separator: "|"))', expected '\(sacctFields.joined(separator: "|"))'")
        }
        var out: [BatchJobStatus] = []
        for line in lines {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == sacctFields.count, let id = Int64(f[0]), let phase = phase(ofState: f[1]) else { continue }
            let energy = Double(f[7]).flatMap { $0 > 0 ? EnergyJoules($0) : nil }
            out.append(BatchJobStatus(id: id, state: String(f[1].split(separator: " ").first ?? ""), phase: phase, reason: nil,
                                      eligibleAt: parseTime(f[2], timeZone: timeZone),
                                      startAt: parseTime(f[3], timeZone: timeZone), endAt: parseTime(f[4], timeZone: timeZone),
                                      elapsedSeconds: parseElapsed(f[5]), exitCode: BatchExitCode(parsing: f[6]),
                                      consumedEnergy: energy))
        }
        return out
    }

    // MARK: sbatch

    /// Reads `sbatch --parsable`'s output: `jobid` or `jobid;cluster`.
    public static func sbatchJobID(_ text: String) -> Int64? {
        let first = text.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
        return Int64(first.split(separator: ";").first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "")
    }

    /// Messages of Slurm's client library that mean the controller was not reached
    /// (`slurm_strerror` texts of `SLURMCTLD_COMMUNICATIONS_*`/`SLURM_PROTOCOL_SOCKET_*` errors).
    static let unreachableMarkers = ["Unable to contact slurm controller", "Socket timed out", "Connection refused",
                                     "Zero Bytes were transmitted", "Communication connection failure",
                                     "Slurm backup controller in standby mode", "Unable to establish controller",
                                     "Transport endpoint is not connected", "Could not open slurm configuration"]

    /// Classifies a failed client command: unreachable (retry later) or refused (final), with Slurm's
    /// own message (its `error:` lines, without the `sbatch: error: ` prefix).
    public static func classifyFailure(tool: String, stderr: String) -> BatchSchedulerError {
        let lines = stderr.split(whereSeparator: \.isNewline).map { line -> String in
            var s = String(line)
            for prefix in ["\(tool): error: ", "\(tool): "] where s.hasPrefix(prefix) { s.removeFirst(prefix.count); break }
            return s.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        let message = lines.isEmpty ? "\(tool) failed without a message" : lines.joined(separator: "; ")
        if unreachableMarkers.contains(where: { message.localizedCaseInsensitiveContains($0) }) {
            return .unreachable(message)
        }
        return .refused(message)
    }

    /// The batch script for a job's argv: `#!/bin/sh` then `exec` with each argument single-quoted
    /// (POSIX sh quoting: `'` becomes `'\''`), so no argument is re-split or expanded.
    public static func batchScript(command: [String]) -> String {
        let quoted = command.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        return "#!/bin/sh\n# Generated by verdantd: the job's command, unchanged.\nexec \(quoted.joined(separator: " "))\n"
    }

    /// `sbatch` arguments for a submission (script on standard input).
    /// - Parameter asUser: pass `--uid`/`--gid` (the client is root and the job belongs to someone else).
    public static func sbatchArguments(_ s: BatchSubmission, asUser: Bool, timeZone: TimeZone = .current) -> [String] {
        var a = ["--parsable", "--begin=\(timeString(s.begin, timeZone: timeZone))",
                 "--deadline=\(timeString(s.deadline, timeZone: timeZone))", "--job-name=\(s.jobName)",
                 "--time=\(s.timeLimitMinutes)", "--chdir=\(s.workingDirectory)", "--output=\(s.outputPath)",
                 "--export=ALL"]
        if let p = s.resources.partition { a.append("--partition=\(p)") }
        if let c = s.resources.cpusPerTask { a.append("--cpus-per-task=\(c)") }
        if let m = s.resources.memoryMebibytes { a.append("--mem=\(m)M") }
        if let g = s.resources.gpus, g > 0 { a.append("--gres=gpu:\(g)") }
        if asUser { a += ["--uid=\(s.uid)", "--gid=\(s.gid)"] }
        return a
    }
}
