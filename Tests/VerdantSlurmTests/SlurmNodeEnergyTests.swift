import Foundation
import Logging
import Testing
import VerdantCore
@testable import VerdantDaemon
import VerdantSlurm
import VerdantStore

/// Slurm job cgroups found on the node: the layouts, and a real job's energy through its cgroup.
struct SlurmCgroupScannerTests {
    /// Real (empty) cgroups made in both of Slurm's layouts (v1 `cpuacct/slurm_<node>/uid_<uid>/job_<id>`,
    /// v2 `<node>_slurmstepd.scope/job_<id>` on this host's cgroup2 mount): the scanner finds both
    /// with their ids and uid, and reads the v1 job's CPU time (0 s: nothing ran in it). A real job's
    /// cgroup and CPU time: `realSlurmJobGetsItsOwnEnergyThroughItsCgroup`.
    @Test func findsJobsInBothLayouts() throws {
        let fm = FileManager.default
        let tag = "vt\(getpid())"
        let v1 = "/sys/fs/cgroup/cpuacct/slurm_\(tag)/uid_4321/job_987654"
        let v2 = "/sys/fs/cgroup/unified/\(tag)_slurmstepd.scope/job_987655"
        try #require(fm.fileExists(atPath: "/sys/fs/cgroup/cpuacct/cpuacct.usage"), "needs the cgroup v1 cpuacct hierarchy")
        try fm.createDirectory(atPath: v1, withIntermediateDirectories: true)
        let hasV2 = (try? fm.createDirectory(atPath: v2, withIntermediateDirectories: true)) != nil
        defer {
            for d in [v1, "/sys/fs/cgroup/cpuacct/slurm_\(tag)/uid_4321", "/sys/fs/cgroup/cpuacct/slurm_\(tag)",
                      v2, "/sys/fs/cgroup/unified/\(tag)_slurmstepd.scope"] { rmdir(d) }
        }
        let found = SlurmCgroupScanner.scan()
        let j1 = try #require(found[987654])
        #expect(j1 == SlurmJobCgroup(jobID: 987654, uid: 4321, path: v1, version: 1))
        #expect(SlurmCgroupScanner.cpuSeconds(j1) == 0)
        if hasV2 { #expect(found[987655] == SlurmJobCgroup(jobID: 987655, uid: nil, path: v2, version: 2)) }
    }
}

extension SlurmClusterTests {
    /// A real Slurm job in the sandbox (proctrack/cgroup, cgroup/v1): verdantd with
    /// slurm-node-energy finds its cgroup, charges it its CPU share of the node's energy each tick,
    /// and stores the job's own energy, which never exceeds the node's over the same time.
    /// Runs wherever the sandbox runs in cgroup mode (the default where cgroup v1 is mounted, as
    /// here; `SLURM_CI_CGROUP=none` turns it off): about 10 s (docs/slurm.md, "Tests").
    @Test(.enabled(if: SlurmSandbox.cgroupMode, "needs cgroup v1 (freezer, cpuacct) for the sandbox's cgroup mode"))
    func realSlurmJobGetsItsOwnEnergyThroughItsCgroup() async throws {
        _ = try SlurmSandbox.up()
        let conf = try String(contentsOfFile: SlurmSandbox.conf, encoding: .utf8)
        try #require(conf.contains("ProctrackType=proctrack/cgroup"),
                     "the running sandbox was started without cgroups (SLURM_CI_CGROUP=none): scripts/slurm-sandbox purge, then rerun")
        var c = DaemonConfiguration()
        c.stateDirectory = try Self.tempDir("node")
        c.intensityTrace = "bundled:de-2020-06_entsoe_15min.csv"
        c.intensityZone = "DE"
        c.executor = "cgroup"
        c.slurmNodeEnergy = true
        c.flushIntervalSeconds = 0.2
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let (rt, db) = try await Daemon.prepare(configuration: c, logger: logger)
        let dir = try Self.tempDir("nodejob")
        // A fixed amount of CPU work (about 1 CPU-s), between two idle waits: the daemon charges the CPU
        // time between the first and the last tick that see the cgroup, so the work must not run before
        // the first or after the last. A loop bounded by wall time (`timeout 3`) got only a fraction of a
        // core on a loaded machine, part of it before the first tick, and could fall under the bound.
        let out = try SlurmSandbox.shell("sbatch", ["--parsable", "--job-name=verdant-node-energy", "--chdir=\(dir)", "--output=\(dir)/out-%j",
                                                    "--wrap", "sleep 1; i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; sleep 2"])
        let sid = try #require(Int64(out.trimmingCharacters(in: .whitespacesAndNewlines)))
        var sawCgroup = false
        let t0 = Date()
        while Date().timeIntervalSince(t0) < 30 {
            _ = await rt.sample()
            if SlurmCgroupScanner.scan()[sid] != nil { sawCgroup = true }
            let state = try Self.squeueField(sid, "%T")
            if sawCgroup, state == "COMPLETED" || state == "FAILED" || state.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        // Past the flush interval, so every node sample of the job's ticks is in the store.
        try await Task.sleep(for: .milliseconds(300))
        _ = await rt.sample()
        await rt.saveSlurmNodeJobs(monotonicNanos: 0, force: true)
        #expect(sawCgroup)
        let rec = try #require(try db.slurmNodeJobs()[sid])
        #expect(rec.uid == 0)
        #expect(rec.cgroupPath.hasSuffix("/uid_0/job_\(sid)"))
        // About 1 CPU-s of work: some, never more than the job's wall time.
        #expect(rec.cpuSeconds > 0.3 && rec.cpuSeconds <= 3.6, "\(rec.cpuSeconds) CPU-s")
        // No RAPL here: the node's energy is the power model's estimate; the job's share is a part of it.
        #expect(rec.source == .estimated)
        let nodeEnergy = try db.samples(from: rec.firstSeenAt, to: rec.lastSeenAt)
            .filter { $0.endAt <= rec.lastSeenAt }.compactMap { $0.energy?.joules }.reduce(0, +)
        #expect(rec.energyJoules > 0 && rec.energyJoules <= nodeEnergy + 1e-9)
    }
}
