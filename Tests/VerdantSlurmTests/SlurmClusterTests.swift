import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
@testable import VerdantDaemon
import VerdantSlurm
import VerdantStore

/// Against a real single-node Slurm 22.05 (SlurmSandbox). One serialized suite: the outage test
/// stops slurmctld, which no other test may see.
@Suite(.serialized) struct SlurmClusterTests {
    static let root = Caller(uid: 0, gid: 0, pid: 1)

    /// `squeue`'s own text column for one job (`%S`: start time, the begin time while pending).
    static func squeueField(_ id: Int64, _ format: String) throws -> String {
        try SlurmSandbox.shell("squeue", ["--noheader", "--states=all", "--jobs=\(id)", "--format=\(format)"])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `scontrol show job`'s `Key=value`.
    static func scontrolField(_ id: Int64, _ key: String) throws -> String? {
        let out = try SlurmSandbox.shell("scontrol", ["show", "job", String(id)])
        for token in out.split(whereSeparator: { $0 == " " || $0 == "\n" }) where token.hasPrefix(key + "=") {
            return String(token.dropFirst(key.count + 1))
        }
        return nil
    }

    static func tempDir(_ tag: String) throws -> String {
        let d = NSTemporaryDirectory() + "verdant-slurm-\(tag)-\(getpid())-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// A runtime with executor slurm over the bundled ENTSO-E trace (Germany, June 2020) replayed at
    /// `speed` trace seconds per real second from `start`.
    static func runtime(speed: Double, start: String) async throws -> (JobRuntime, VerdantDatabase, String) {
        _ = try SlurmSandbox.up()
        var c = DaemonConfiguration()
        c.stateDirectory = try tempDir("state")
        c.intensityTrace = "bundled:de-2020-06_entsoe_15min.csv"
        c.intensityZone = "DE"
        c.replaySpeed = speed
        c.replayStart = ISO8601.parse(start)
        c.executor = "slurm"
        c.slurmConf = SlurmSandbox.conf
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let (rt, db) = try await Daemon.prepare(configuration: c, logger: logger)
        return (rt, db, try tempDir("work"))
    }

    static func request(_ name: String, deadline: String, duration: String, command: [String], in dir: String,
                        partition: String? = nil) -> SubmitRequest {
        SubmitRequest(name: name, kind: "batch", deadline: deadline, expectedDuration: duration, command: command,
                      workingDirectory: dir, environment: ["PATH=/usr/bin:/bin", "HOME=\(dir)"], cores: 1,
                      partition: partition, memory: "100M")
    }

    // MARK: The adapter alone

    @Test func adapterSubmitsMovesCancelsAndReadsTheEnd() async throws {
        let slurm = try SlurmSandbox.up()
        #expect(await slurm.clusterName == "ci")
        let dir = try Self.tempDir("adapter")
        let begin = Date().addingTimeInterval(600).roundedUpToSecond
        let s = BatchSubmission(jobName: "verdant-adapter", command: ["/bin/sh", "-c", "echo \"$1\"; exit 3", "sh", "it's"], workingDirectory: dir,
                                environment: ["PATH=/usr/bin:/bin"], uid: 0, gid: 0, begin: begin,
                                deadline: begin.addingTimeInterval(3600), timeLimitMinutes: 2,
                                resources: BatchResources(cpusPerTask: 1, memoryMebibytes: 100), outputPath: dir + "/out-%j.txt")
        let id = try await slurm.submit(s)
        // Pending with the begin time to the second, in both squeue's text and its JSON.
        #expect(try Self.squeueField(id, "%T|%S|%j|%l") == "PENDING|\(SlurmParsing.timeString(begin))|verdant-adapter|2:00")
        var st = try await slurm.status(ids: [id])
        #expect(st[id]?.phase == .pending && st[id]?.eligibleAt == begin)
        // "None" until slurmctld's first scheduling pass looks at it, then "BeginTime".
        #expect(["BeginTime", "None"].contains(st[id]?.reason ?? ""))
        // Moved to now: it runs and ends with exit code 3.
        try await slurm.moveBegin(id: id, to: Date().roundedUpToSecond)
        var waited = 0
        repeat {
            try await Task.sleep(for: .seconds(1))
            waited += 1
            st = try await slurm.status(ids: [id])
        } while st[id]?.phase.isFinal != true && waited < 60
        let end = try #require(st[id])
        #expect(end.state == "FAILED" && end.exitCode == BatchExitCode(status: 3, signal: 0))
        #expect(try String(contentsOfFile: dir + "/out-\(id).txt", encoding: .utf8) == "it's\n")
        #expect(end.elapsedSeconds != nil && end.elapsedSeconds! >= 0 && end.elapsedSeconds! < 30)
        // The job-completion file (sacct -c: no slurmdbd here) has the same end.
        let acct = try await slurm.accounting(ids: [id])
        #expect(acct[id]?.exitCode == BatchExitCode(status: 3, signal: 0) && acct[id]?.endAt == end.endAt)
        // Refused: Slurm's own message.
        var bad = s
        bad.resources.partition = "nope"
        await #expect(throws: BatchSchedulerError.refused("invalid partition specified: nope; Batch job submission failed: Invalid partition name specified")) {
            _ = try await slurm.submit(bad)
        }
        // Cancel a pending one.
        let id2 = try await slurm.submit(s)
        try await slurm.cancel(id: id2)
        #expect(try await slurm.status(ids: [id2])[id2]?.phase == .cancelled)
    }

    // MARK: Executor slurm through the runtime

    /// Three jobs with different deadlines over the replayed trace: each appears in squeue with the
    /// begin time Verdant planned, to the second, runs, and ends with state, elapsed time and exit
    /// code in Verdant's database.
    @Test func threeJobsRunAtTheirPlannedBeginTimes() async throws {
        // 120 trace s per real s: a 10-min job is 5 real s; its Slurm time limit of 1 min plus the
        // 60 s scheduling slack is 4 trace h, so deadlines of 4.5, 5 and 5.5 trace h leave 15, 30 and
        // 45 real s of begin window.
        let (rt, db, dir) = try await Self.runtime(speed: 120, start: "2020-06-03T10:00:00Z")
        var ids: [Int64] = []
        for (deadline, code) in [("270m", 0), ("300m", 3), ("330m", 0)] {
            let v = try await rt.submit(Self.request("three-\(deadline)", deadline: deadline, duration: "10m",
                                                     command: ["/bin/sh", "-c", "sleep 2; exit \(code)"], in: dir), caller: Self.root)
            #expect(v.cluster == "ci" && v.slurmState == "PENDING" && v.state == "queued")
            let sid = try #require(v.slurmJobID)
            let rec = try #require(try db.slurmJob(jobID: v.id))
            let begin = try #require(rec.beginAt)
            // squeue shows the begin time Verdant gave, to the second ...
            #expect(try Self.squeueField(sid, "%S") == SlurmParsing.timeString(begin))
            #expect(try Self.squeueField(sid, "%j") == "verdant-\(v.id)")
            // ... which is the planned start in real time (replay: 120 trace s per real s), whole seconds.
            let clock = await rt.parts.clock
            #expect(abs(begin.timeIntervalSince(clock.realDate(of: v.plannedStart))) < 1.01)
            // The planned start leaves the whole time limit and the slack (2 min real = 4 trace h) before the deadline.
            #expect(v.latestStart == v.deadline.addingTimeInterval(-4 * 3600))
            #expect(v.plannedStart <= v.latestStart)
            ids.append(v.id)
        }
        var jobs: [Job] = []
        for _ in 0..<120 {
            await rt.followBatchJobs()
            jobs = try ids.map { try #require(try db.job(id: $0)) }
            if jobs.allSatisfy({ $0.state.isFinal }) { break }
            try await Task.sleep(for: .seconds(1))
        }
        #expect(jobs.map(\.state) == [.succeeded, .failed, .succeeded])
        #expect(jobs.map(\.exitCode) == [0, 3, 0])
        for j in jobs {
            let rec = try #require(try db.slurmJob(jobID: j.id!))
            // Slurm did not start it before the begin time Verdant planned.
            let (start, begin, elapsed) = (try #require(rec.startAt), try #require(rec.beginAt), try #require(rec.elapsedSeconds))
            #expect(start >= begin)
            #expect(elapsed >= 2 && elapsed < 30)
            #expect(rec.exitCode == (j.exitCode == 3 ? "3:0" : "0:0"))
            #expect(["COMPLETED", "FAILED"].contains(rec.slurmState))
            // Verdant's times are trace times: the run of ~2 real s is ~240 trace s.
            let traceSpan = try #require(j.endedAt).timeIntervalSince(try #require(j.startedAt))
            #expect(abs(traceSpan - elapsed * 120) <= 240)
            // No energy gathered by this cluster's accounting: unavailable, never 0.
            #expect(j.energy == nil && j.energySource == .unavailable)
        }
        #expect(jobs[1].reason == "Slurm: FAILED (NonZeroExitCode), exit code 3:0")
        // verdant jobs / report show the cluster and the Slurm job id.
        let views = try await rt.jobs(caller: Self.root)
        #expect(views.allSatisfy { $0.cluster == "ci" && $0.slurmJobID != nil })
        let report = try await rt.report(since: nil, until: nil, by: nil, timeline: false, caller: Self.root)
        #expect(report.jobs.map { $0.placement?.cluster } == ["ci", "ci", "ci"])
        #expect(report.jobs.map { $0.placement?.batchJobID } == views.sorted { $0.id < $1.id }.map(\.slurmJobID))
    }

    /// A forecast change moves a pending job's StartTime, never past its latest start; cancel is scancel.
    @Test func replanMovesStartTimeAndCancelCancels() async throws {
        // 60 trace s per real s; deadline 24 trace h ahead.
        let (rt, db, dir) = try await Self.runtime(speed: 60, start: "2020-06-10T00:00:00Z")
        // 15 min expected: exactly one quarter-hour slot of the trace, so the cheapest window is the dip itself.
        let v = try await rt.submit(Self.request("replan", deadline: "24h", duration: "15m", command: ["/bin/true"], in: dir),
                                    caller: Self.root)
        let sid = try #require(v.slurmJobID)
        let now = await rt.parts.clock.now()
        let clock = await rt.parts.clock
        // New forecast: 400 g everywhere, 20 g in one quarter-hour 5 trace hours from now.
        let slot = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 900).rounded(.up) * 900 + 5 * 3600)
        var points = stride(from: -86400.0, through: 2 * 86400, by: 900).map {
            IntensityPoint(time: slot.addingTimeInterval($0), intensity: IntensityGramsPerKWh(400))
        }
        points = points.map { $0.time == slot ? IntensityPoint(time: slot, intensity: IntensityGramsPerKWh(20)) : $0 }
        await rt.useSeries(IntensitySeries(points: points, fallback: IntensityGramsPerKWh(400)), source: "test-forecast")
        var job = try #require(try db.job(id: v.id))
        #expect(job.plannedStart == slot)
        var rec = try #require(try db.slurmJob(jobID: v.id))
        #expect(try Self.scontrolField(sid, "StartTime") == SlurmParsing.timeString(rec.beginAt!))
        #expect(abs(rec.beginAt!.timeIntervalSince(clock.realDate(of: slot))) < 1.01)
        #expect(job.planReason.hasPrefix("re-planned at"))
        // A second change puts the deepest dip after the latest start (and a shallower one in the hour
        // before it, so the job stays pending for the cancel below): the start stays at or before it.
        let late = Date(timeIntervalSince1970: (job.latestStart.timeIntervalSince1970 / 900).rounded(.up) * 900 + 900)
        let lastHour = job.latestStart.addingTimeInterval(-3600)
        let latePoints = points.map {
            IntensityPoint(time: $0.time, intensity: IntensityGramsPerKWh($0.time >= late ? 5 : $0.time >= lastHour ? 300 : 400))
        }
        let firstBegin = rec.beginAt!
        await rt.useSeries(IntensitySeries(points: latePoints, fallback: IntensityGramsPerKWh(400)), source: "test-forecast-2")
        job = try #require(try db.job(id: v.id))
        rec = try #require(try db.slurmJob(jobID: v.id))
        #expect(job.plannedStart <= job.latestStart && job.plannedStart >= lastHour)
        #expect(rec.beginAt! > firstBegin)
        #expect(rec.beginAt! <= clock.realDate(of: job.latestStart).roundedUpToSecond)
        #expect(try Self.scontrolField(sid, "StartTime") == SlurmParsing.timeString(rec.beginAt!))
        // Cancel: scancel, recorded at once, and Slurm agrees.
        let c = try await rt.cancel(id: v.id, caller: Self.root)
        #expect(c.state == "cancelled" && c.reason == "cancelled by uid 0 (scancel \(sid))")
        #expect(try Self.squeueField(sid, "%T") == "CANCELLED")
        await rt.followBatchJobs()
        #expect(try db.job(id: v.id)?.state == .cancelled)
    }

    /// A job for a partition that does not exist is refused, with Slurm's message.
    @Test func nonexistentPartitionIsRefusedWithSlurmsMessage() async throws {
        let (rt, db, dir) = try await Self.runtime(speed: 60, start: "2020-06-10T00:00:00Z")
        let v = try await rt.submit(Self.request("refused", deadline: "24h", duration: "30m", command: ["/bin/true"], in: dir,
                                                 partition: "nope"), caller: Self.root)
        #expect(v.state == "failed" && v.slurmState == "REFUSED" && v.slurmJobID == nil)
        #expect(v.reason == "refused by Slurm: invalid partition specified: nope; Batch job submission failed: Invalid partition name specified")
        #expect(try db.slurmJob(jobID: v.id)?.message == "invalid partition specified: nope; Batch job submission failed: Invalid partition name specified")
        await #expect(throws: APIError.self) {
            _ = try await rt.submit(Self.request("bad-mem", deadline: "24h", duration: "30m", command: ["/bin/true"], in: dir)
                .with { $0.memory = "lots" }, caller: Self.root)
        }
    }

    /// slurmctld stopped: jobs wait in Verdant's queue, none is lost, status says why; once it is
    /// back, all are submitted.
    @Test func controllerOutageJobsWaitAndAreSubmittedOnceBack() async throws {
        let (rt, db, dir) = try await Self.runtime(speed: 60, start: "2020-06-10T00:00:00Z")
        try SlurmSandbox.run("stop-ctld")
        var views: [JobView] = []
        do {
            for i in 0..<2 {
                views.append(try await rt.submit(Self.request("outage-\(i)", deadline: "24h", duration: "30m",
                                                              command: ["/bin/true"], in: dir), caller: Self.root))
            }
            #expect(views.allSatisfy { $0.state == "queued" && $0.slurmJobID == nil && $0.slurmState == "UNSUBMITTED" })
            #expect(views.allSatisfy { ($0.reason ?? "").hasPrefix("waiting in Verdant's queue: Slurm unreachable: ") })
            let status = try await rt.status()
            #expect(status.executor == "slurm")
            #expect((status.executorStatus ?? "").contains("unreachable since"))
            #expect((status.executorStatus ?? "").contains("2 job(s) wait in Verdant's queue"))
            await rt.followBatchJobs()   // still down: nothing changes, nothing is lost
            #expect(try db.jobs(states: [.queued]).count == 2)
        } catch {
            try SlurmSandbox.run("start-ctld")
            throw error
        }
        try SlurmSandbox.run("start-ctld")
        await rt.followBatchJobs()
        let after = try views.map { try #require(try db.slurmJob(jobID: $0.id)) }
        #expect(after.allSatisfy { $0.slurmJobID != nil && $0.slurmState == "PENDING" && $0.attempts >= 1 })
        for r in after {
            #expect(try Self.squeueField(r.slurmJobID!, "%T|%j") == "PENDING|verdant-\(r.jobID)")
        }
        let status = try await rt.status()
        #expect(status.executorStatus == "slurm cluster ci: reachable; 0 job(s) wait in Verdant's queue")
        for v in views { _ = try await rt.cancel(id: v.id, caller: Self.root) }
    }
}

extension SubmitRequest {
    func with(_ change: (inout SubmitRequest) -> Void) -> SubmitRequest {
        var r = self
        change(&r)
        return r
    }
}
