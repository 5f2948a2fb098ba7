import Foundation
import Testing
import VerdantCore
import VerdantStore

/// Issue 9: `verdant jobs`, `verdant show` and `verdant report` show Slurm jobs beside local ones,
/// with the cluster and Slurm job id, in every format. A real SQLite database holding one finished
/// local job and one finished Slurm job (cluster `ci`, Slurm job 4123), read by a real `verdantd`
/// through the real CLI; every expected cell is worked out by hand below.
@Suite(.serialized) struct SlurmColumnsTests {
    static let day = "2020-06-10T"
    static func at(_ hhmm: String) -> Date { ISO8601.parse(day + hhmm + ":00Z")! }

    /// Job 1 (local): submitted 00:00, ran 01:00–02:00 (3600 s), 7200 J measured, 0.5 g; expected
    /// 7000 J; counterfactual 0.75 g. Job 2 (Slurm job 4123 on `ci`): submitted 00:00, ran
    /// 01:30–02:00 (1800 s), 3600 J (Slurm's ConsumedEnergyRaw), 0.25 g; expected 4000 J; counterfactual 0.5 g.
    static func seed(_ state: URL) throws {
        let (db, _) = try VerdantDatabase.open(path: state.appendingPathComponent("verdant.sqlite").path)
        func job(_ name: String, start: String, expected: Double, energy: Double, carbon: Double,
                 predicted: Double, runNow: Double, executor: String) -> Job {
            let plan = JobPlan(plannedStart: at(start), latestStart: at("02:00"), plannedIntensity: IntensityGramsPerKWh(250),
                               runNowIntensity: IntensityGramsPerKWh(500), predictedCarbon: CarbonGrams(predicted),
                               runNowCarbon: CarbonGrams(runNow), reason: "test")
            var j = Job(name: name, kind: .training, command: ["true"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                        submittedAt: at("00:00"), deadline: at("03:00"), expectedDurationSeconds: 3600, durationSource: .given,
                        expectedEnergy: EnergyJoules(expected), plan: plan)
            j.state = .succeeded
            j.startedAt = at(start)
            j.endedAt = at("02:00")
            j.exitCode = 0
            j.energy = EnergyJoules(energy)
            j.energySource = .measured
            j.carbon = CarbonGrams(carbon)
            j.cpuSeconds = 1000
            j.executor = executor
            return j
        }
        let local = try db.insert(job("train-local", start: "01:00", expected: 7000, energy: 7200, carbon: 0.5,
                                      predicted: 1, runNow: 2, executor: "cgroup"))
        let (slurm, _) = try db.insert(job("train-slurm", start: "01:30", expected: 4000, energy: 3600, carbon: 0.25,
                                           predicted: 0.5, runNow: 1, executor: "slurm")) { id in
            var r = SlurmJobRecord(jobID: id, cluster: "ci", resources: BatchResources(partition: nil, cpusPerTask: 1,
                                                                                       memoryMebibytes: nil, gpus: nil),
                                   timeLimitMinutes: 90)
            r.slurmJobID = 4123
            r.slurmState = "COMPLETED"
            r.exitCode = "0:0"
            r.consumedEnergy = EnergyJoules(3600)
            return r
        }
        #expect(local.id == 1 && slurm.id == 2)
        try db.save(JobEnergySummaryRecord(jobID: 1, measuredSeconds: 3600, estimatedSeconds: 0, missingSeconds: 0, counterfactualCarbon: 0.75))
        try db.save(JobEnergySummaryRecord(jobID: 2, measuredSeconds: 1800, estimatedSeconds: 0, missingSeconds: 0, counterfactualCarbon: 0.5))
    }

    @Test func slurmJobsShowTheirClusterAndSlurmJobIDInEveryFormat() async throws {
        let state = temporaryDirectory("slurm-columns")
        try Self.seed(state)
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "60", "--replay-start", "2020-06-10T03:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--perf-power-root", ""])
        func run(_ args: [String]) throws -> [String] {
            let r = try daemon.cli(args)
            #expect(r.status == 0, "verdant \(args): \(r.stderr)")
            return r.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }

        // verdant jobs: WHERE is `local` or `<cluster>/<slurm job id>`. Widths: ID 2, NAME 11, STATE 9,
        // WHERE 7 (`ci/4123`), times 20 (local time with its zone: UTC here, as the tests run without TZ),
        // PRED g 6, NOW g 5; two spaces between columns.
        let jobs = try run(["jobs"])
        #expect(jobs.prefix(3) == [
            "ID  NAME         STATE      WHERE    PLANNED START         DEADLINE              PRED g  NOW g",
            " 1  train-local  succeeded  local    2020-06-10 01:00 UTC  2020-06-10 03:00 UTC    1.00   2.00",
            " 2  train-slurm  succeeded  ci/4123  2020-06-10 01:30 UTC  2020-06-10 03:00 UTC    0.50   1.00",
        ])

        // verdant jobs --json: cluster, slurm_job_id, slurm_state, energy_scope; null for the local job.
        let views = try #require(try daemon.json(["jobs"]) as? [[String: Any]])
        #expect(views.count == 2)
        #expect(views[0]["cluster"] is NSNull && views[0]["slurm_job_id"] is NSNull && views[0]["slurm_state"] is NSNull)
        #expect(views[0]["energy_scope"] is NSNull)
        #expect(views[1]["cluster"] as? String == "ci")
        #expect(views[1]["slurm_job_id"] as? Int == 4123)
        #expect(views[1]["slurm_state"] as? String == "COMPLETED")
        #expect(views[1]["energy_scope"] as? String == "node: Slurm ConsumedEnergyRaw, the job's own only if it had its nodes exclusively")

        // verdant show: a `slurm:` line for the Slurm job only.
        let show2 = try run(["show", "2"])
        #expect(show2.contains("slurm:           cluster ci, job 4123, state COMPLETED"))
        #expect(show2.contains("energy scope:    node: Slurm ConsumedEnergyRaw, the job's own only if it had its nodes exclusively"))
        #expect(!(try run(["show", "1"])).contains { $0.hasPrefix("slurm:") })

        // verdant report (table, --by job): 10800 J in all (< 1 kWh, so J). Job 1: 7200 J / 3600 s = 2.00 W,
        // 0.5 g / 0.002 kWh = 250 g/kWh, error (7200 − 7000) / 7000 = +2.9 % → +3, saved 0.75 − 0.5 = 0.25 g,
        // delay 1 h. Job 2 keyed 2@4123: 3600 J / 1800 s = 2.00 W, 250 g/kWh, (3600 − 4000) / 4000 = −10 %,
        // saved 0.25 g, delay 1.5 h. TOTAL: 10800 J / 5400 s, 0.75 g, −200 / 11000 = −1.8 % → −2, 0.50 g, 2.5 h.
        let table = try run(["report"])
        #expect(table.prefix(5) == [
            "JOB    JOBS     J    W gCO2 g/kWh MEAS% ERR% SAVED g DELAY h",
            "1         1  7200 2.00 0.50   250   100   +3    0.25    1.00",
            "2@4123    1  3600 2.00 0.25   250   100  -10    0.25    1.50",
            String(repeating: "-", count: 60),
            "TOTAL     2 10800 2.00 0.75   250   100   -2    0.50    2.50",
        ])
        #expect(table.contains("ID@N: Slurm job N on cluster ci."))
        for l in table { #expect(l.count <= 80, "too wide: \(l)") }
        let byKind = try run(["report", "--by", "kind"])
        #expect(byKind.contains("Slurm: 1 of 2 jobs ran on cluster ci."))
        #expect(!byKind.contains { $0.hasPrefix("ID@N") })

        // CSV: `cluster`, `slurm_job_id` close each line, empty for the local job and TOTAL.
        let csv = try run(["report", "--format", "csv"]).filter { !$0.isEmpty }
        let header = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(header.suffix(3) == ["delay_s", "cluster", "slurm_job_id"])
        #expect(header.count == 30)
        let cells = csv.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(cells.count == 3)
        func column(_ name: String) -> [String] { let i = header.firstIndex(of: name)!; return cells.map { $0[i] } }
        #expect(cells.allSatisfy { $0.count == 30 })
        #expect(column("key") == ["1", "2", "TOTAL"])
        #expect(column("energy_j") == ["7200.0", "3600.0", "10800.0"])
        #expect(column("delay_s") == ["3600.0", "5400.0", "9000.0"])
        #expect(column("cluster") == ["", "ci", ""])
        #expect(column("slurm_job_id") == ["", "4123", ""])

        // JSON: jobs[] carry cluster and slurm_job_id, null for the local job.
        let r = try daemon.cli(["report", "--format", "json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rjobs = try #require(json["jobs"] as? [[String: Any]])
        #expect(rjobs.map { $0["id"] as? Int } == [1, 2])
        #expect(rjobs[0]["cluster"] is NSNull && rjobs[0]["slurm_job_id"] is NSNull)
        #expect(rjobs[1]["cluster"] as? String == "ci")
        #expect(rjobs[1]["slurm_job_id"] as? Int == 4123)
        // HTML: the jobs table's last cell, `where`.
        let html = try daemon.cli(["report", "--format", "html"]).stdout
        #expect(html.contains("<th scope=\"col\" class=\"n\">delay (h)</th><th scope=\"col\">where</th>"))
        #expect(html.contains("<td>local</td></tr>"))
        #expect(html.contains("<td>ci/4123</td></tr>"))
        #expect(daemon.terminate() == 0)
    }
}
