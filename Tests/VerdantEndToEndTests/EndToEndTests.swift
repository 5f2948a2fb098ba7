import Foundation
import Testing
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// Real `verdantd` and `verdant` processes, this machine's /proc and cgroups, the bundled real trace.
@Suite(.serialized) struct EndToEndTests {
    /// A CPU-bound shell loop of about a second: real work for the estimate to see.
    static let busyJob = ["sh", "-c", "i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done; echo done"]

    /// - Parameter speed: the replay factor (trace seconds per real second).
    func daemonArgs(speed: Int = 3600) -> [String] {
        ["--intensity-trace", bundledTrace.path, "--replay-speed", String(speed), "--replay-start", "2020-06-10T00:00:00Z",
         "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power", "--sample-interval", "0.2s", "--flush-interval", "1s"]
    }

    @Test func jobsArePlannedAtTheCheapestStartRunAndAreReported() throws {
        let state = temporaryDirectory("e2e")
        // Replayed at 1800×: the 0.3 h of trace time a job may start after its latest start (the
        // scheduler's wake-up and the launch) is 0.6 real s; at 3600× it was 0.3 s, which a loaded
        // machine exceeded. The later planned start (at most 17 h on) comes within 34 real s.
        let daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs(speed: 1800))
        let trace = try IndependentTrace(url: bundledTrace)

        let a = try daemon.cli(["submit", "--name", "train-a", "--kind", "training", "--deadline", "12h",
                                "--expected-duration", "1h", "--"] + Self.busyJob)
        #expect(a.status == 0, "submit failed: \(a.stderr)")
        let b = try daemon.cli(["submit", "--name", "batch-b", "--kind", "batch", "--deadline", "20h",
                                "--expected-duration", "3h", "--"] + Self.busyJob)
        #expect(b.status == 0, "submit failed: \(b.stderr)")
        let ids = [a, b].compactMap { Int($0.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) }
        #expect(ids.count == 2)

        let plan = try #require(try daemon.json(["plan"]) as? [[String: Any]])
        #expect(plan.count == 2)
        var shifted = 0
        for job in plan {
            let submitted = try #require(date(job["submitted_at"])).timeIntervalSince1970
            let deadline = try #require(date(job["deadline"])).timeIntervalSince1970
            let latest = try #require(date(job["latest_start"])).timeIntervalSince1970
            let planned = try #require(date(job["planned_start"])).timeIntervalSince1970
            let d = try #require(job["expected_duration_s"] as? Double)
            // Latest start: deadline − duration − 2σ of the predicted duration (policy margin-sigmas, issue 6).
            let sigma = job["expected_duration_uncertainty_s"] as? Double ?? 0
            #expect(abs(latest - (deadline - d - 2 * sigma)) < 0.01)
            let best = trace.cheapestStart(from: submitted, latest: latest, duration: d)
            #expect(abs(planned - best.start) < 0.01, "job \(job["name"]!): planned \(planned), cheapest \(best.start)")
            #expect(abs(trace.mean(planned, planned + d) - best.mean) < 1e-6)
            #expect(try #require(job["predicted_carbon_g"] as? Double) > 0)
            #expect(try #require(job["run_now_carbon_g"] as? Double) >= (job["predicted_carbon_g"] as! Double))
            if planned > submitted + 1 { shifted += 1 }
        }
        #expect(shifted >= 1, "the deadlines allow shifting and the trace varies: at least one job should wait")

        var finished: [[String: Any]] = []
        for id in ids {
            let job = try waitFor(90) { () -> [String: Any]? in
                let j = try daemon.json(["show", String(id)]) as? [String: Any]
                return ["succeeded", "failed", "lost", "cancelled"].contains(j?["state"] as? String ?? "") ? j : nil
            }
            let j = try #require(job, "job \(id) did not finish; daemon log:\n\(daemon.daemonLog())")
            finished.append(j)
            #expect(j["state"] as? String == "succeeded", "job \(id): \(j)")
            #expect(j["exit_code"] as? Int == 0)
            #expect(try #require(j["energy_j"] as? Double) > 0)
            #expect(j["energy_source"] as? String == "estimated")
            #expect(try #require(j["carbon_g"] as? Double) > 0)
            #expect(try #require(j["cpu_seconds"] as? Double) > 0.05)
            let started = try #require(date(j["started_at"]))
            let planned = try #require(date(j["planned_start"]))
            #expect(started >= planned.addingTimeInterval(-1))
            let latest = try #require(date(j["latest_start"]))
            #expect(started <= latest.addingTimeInterval(0.3 * 3600))
            let logPath = try #require(j["log_path"] as? String)
            let log = try String(contentsOfFile: logPath, encoding: .utf8)
            #expect(log.contains("done"))
            // `verdant logs` serves the same file (cgroup executor: no journal).
            let jobID = try #require(j["id"] as? Int)
            let served = try #require(try daemon.json(["logs", String(jobID)]) as? [String: Any])
            #expect(served["source"] as? String == "file:\(logPath)")
            #expect(served["text"] as? String == log)
        }

        let r = try daemon.cli(["report", "--format", "json"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let rows = try #require(obj["jobs"] as? [[String: Any]])
        let totals = try #require(obj["totals"] as? [String: Any])
        #expect(rows.count == 2)
        let energySum = rows.compactMap { $0["energy_j"] as? Double }.reduce(0, +)
        let carbonSum = rows.compactMap { $0["carbon_g"] as? Double }.reduce(0, +)
        #expect(abs(try #require(totals["energy_j"] as? Double) - energySum) <= 1e-9 * max(1, energySum))
        #expect(abs(try #require(totals["carbon_g"] as? Double) - carbonSum) <= 1e-9 * max(1, carbonSum))
        #expect(abs(energySum - finished.compactMap { $0["energy_j"] as? Double }.reduce(0, +)) < 1e-6)
        #expect(daemon.terminate() == 0)
    }

    @Test func badSubmissionsAreRefusedWithAClearMessageAndNothingIsWritten() throws {
        let state = temporaryDirectory("bad")
        let daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let unknownFlag = try daemon.cli(["submit", "--bogus", "--", "true"])
        #expect(unknownFlag.status != 0)
        #expect(unknownFlag.stderr.contains("--bogus"))
        let past = try daemon.cli(["submit", "--deadline", "2000-01-01T00:00:00Z", "--", "true"])
        #expect(past.status != 0)
        #expect(past.stderr.contains("is in the past"))
        let short = try daemon.cli(["submit", "--deadline", "1h", "--expected-duration", "2h", "--", "true"])
        #expect(short.status != 0)
        #expect(short.stderr.contains("less than the expected duration"))
        let noCommand = try daemon.cli(["submit", "--name", "x"])
        #expect(noCommand.status != 0)
        #expect(noCommand.stderr.contains("no command"))
        let badKind = try daemon.cli(["submit", "--kind", "render", "--", "true"])
        #expect(badKind.status != 0)
        for far in ["99999999999999999999", "10000-01-01T00:00:00Z", "9000000d"] {
            let r = try daemon.cli(["submit", "--deadline", far, "--", "true"])
            #expect(r.status != 0, "deadline \(far) was accepted")
        }
        let tooFar = try daemon.cli(["submit", "--deadline", "500d", "--", "true"])
        #expect(tooFar.stderr.contains("more than 400 days after now"), "\(tooFar.stderr)")
        let backwards = try daemon.cli(["report", "--since", "2030-01-01T00:00:00Z", "--until", "2020-01-01T00:00:00Z"])
        #expect(backwards.status != 0)
        #expect(backwards.stderr.contains("the range is empty"))
        let jobs = try #require(try daemon.json(["jobs"]) as? [Any])
        #expect(jobs.isEmpty)
        #expect(daemon.terminate() == 0)
    }

    @Test func malformedTraceAndUnknownConfigKeyStopTheDaemonBeforeWriting() throws {
        let dir = temporaryDirectory("badcfg")
        let trace = dir.appendingPathComponent("bad-trace.csv")
        try "time,intensity\n2020-06-01T00:00:00Z,120\n2020-06-01T01:00:00Z,twelve\n".write(to: trace, atomically: true, encoding: .utf8)
        let state1 = dir.appendingPathComponent("state1")
        let r1 = try runTool("verdantd", ["--state-dir", state1.path, "--intensity-trace", trace.path])
        #expect(r1.status != 0)
        #expect(r1.stderr.contains("bad-trace.csv:3:"), "stderr: \(r1.stderr)")
        #expect(!FileManager.default.fileExists(atPath: state1.path))

        let config = dir.appendingPathComponent("verdant.yaml")
        try "state-dir: \(dir.appendingPathComponent("state2").path)\nreplay-sped: 10\n".write(to: config, atomically: true, encoding: .utf8)
        let r2 = try runTool("verdantd", ["--config", config.path])
        #expect(r2.status != 0)
        #expect(r2.stderr.contains("verdant.yaml:2: unknown configuration key 'replay-sped'"), "stderr: \(r2.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("state2").path))

        let r3 = try runTool("verdantd", ["--state-dir", dir.appendingPathComponent("state3").path, "--no-such-flag"])
        #expect(r3.status != 0)
        #expect(r3.stderr.contains("--no-such-flag"))
    }

    @Test func sigtermWhileAJobRunsRecordsItsFateAndKeepsTheQueue() throws {
        let state = temporaryDirectory("term")
        var daemon: DaemonProcess? = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let run = try daemon!.cli(["submit", "--name", "long", "--deadline", "2h", "--expected-duration", "1h", "--", "sleep", "60"])
        #expect(run.status == 0, "\(run.stderr)")
        let runID = try #require(Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let queued = try daemon!.cli(["submit", "--name", "later", "--deadline", "2020-06-28T00:00:00Z", "--expected-duration", "1h", "--", "true"])
        let queuedID = try #require(Int(queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let running = try waitFor(30) { () -> Bool? in
            (try daemon!.json(["show", String(runID)]) as? [String: Any])?["state"] as? String == "running" ? true : nil
        }
        #expect(running == true, "job never started:\n\(daemon!.daemonLog())")
        #expect(daemon!.terminate() == 0)
        daemon = nil

        let again = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let j = try #require(try again.json(["show", String(runID)]) as? [String: Any])
        #expect(j["state"] as? String == "lost")
        #expect((j["reason"] as? String ?? "").contains("shut down"))
        #expect(date(j["started_at"]) != nil)
        #expect(date(j["ended_at"]) != nil)
        let q = try #require(try again.json(["show", String(queuedID)]) as? [String: Any])
        #expect(q["state"] as? String == "queued")
        #expect(again.terminate() == 0)
    }

    @Test func tellsSystemdWhenReadyAndWhenStopping() throws {
        let dir = temporaryDirectory("notify")
        let notify = try NotifySocket(path: dir.appendingPathComponent("notify.sock").path)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: daemonArgs(),
                                       environment: ["NOTIFY_SOCKET": notify.path])
        let ready = notify.receive(until: "READY=1", seconds: 10)
        #expect(ready.contains { $0.contains("READY=1") }, "got \(ready)")
        #expect(ready.contains { $0.contains("STATUS=") })
        #expect(daemon.terminate() == 0)
        let stopping = notify.receive(until: "STOPPING=1", seconds: 10)
        #expect(stopping.contains { $0.contains("STOPPING=1") }, "got \(stopping)")
    }

    @Test func killNineWhileAJobRunsIsSettledAtRestart() throws {
        let state = temporaryDirectory("kill9")
        var daemon: DaemonProcess? = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let run = try daemon!.cli(["submit", "--name", "orphan", "--deadline", "2h", "--expected-duration", "1h", "--",
                                   "sh", "-c", "echo $$ > '\(state.path)/job.pid'; exec sleep 120"])
        let runID = try #require(Int(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run.stderr)")
        let queued = try daemon!.cli(["submit", "--name", "later", "--deadline", "2020-06-28T00:00:00Z", "--expected-duration", "1h", "--", "true"])
        let queuedID = try #require(Int(queued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let running = try waitFor(30) { () -> Bool? in
            (try daemon!.json(["show", String(runID)]) as? [String: Any])?["state"] as? String == "running" ? true : nil
        }
        #expect(running == true)
        kill(daemon!.process.processIdentifier, SIGKILL)
        daemon!.process.waitUntilExit()
        daemon = nil
        // The job's process outlived the daemon.
        let pidText = try String(contentsOfFile: state.path + "/job.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0)

        let again = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let j = try #require(try again.json(["show", String(runID)]) as? [String: Any])
        #expect(j["state"] as? String == "lost")
        #expect((j["reason"] as? String ?? "").contains("without a clean shutdown"))
        #expect((j["reason"] as? String ?? "").contains("killed at restart"), "daemon log:\n\(again.daemonLog())")
        #expect(date(j["ended_at"]) != nil)
        // Its leftover process is gone: no such pid, or a zombie waiting for whoever adopted it.
        let gone = try waitFor(5) { () -> Bool? in
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return true }
            return stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") == true ? true : nil
        }
        #expect(gone == true)
        let q = try #require(try again.json(["show", String(queuedID)]) as? [String: Any])
        #expect(q["state"] as? String == "queued")
        let all = try #require(try again.json(["jobs"]) as? [[String: Any]])
        #expect(all.count == 2)
        #expect(again.terminate() == 0)
    }

    @Test func jobsInheritNoDescriptorOfTheDaemon() throws {
        let state = temporaryDirectory("fds")
        let daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let r = try daemon.cli(["submit", "--deadline", "1h", "--expected-duration", "10m", "--", "sh", "-c", "ls /proc/$$/fd"])
        let id = try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r.stderr)")
        let job = try waitFor(30) { () -> [String: Any]? in
            let j = try daemon.json(["show", String(id)]) as? [String: Any]
            return j?["state"] as? String == "succeeded" ? j : nil
        }
        let j = try #require(job)
        let log = try String(contentsOfFile: try #require(j["log_path"] as? String), encoding: .utf8)
        let fds = Set(log.split(whereSeparator: { $0 == "\n" || $0 == " " }).map(String.init))
        #expect(fds == ["0", "1", "2"], "the job's shell had descriptors \(fds.sorted())")
        #expect(daemon.terminate() == 0)
    }

    /// systemd's watchdog with WatchdogSec=500ms: pings come from sampler progress, never more than
    /// 250 ms apart.
    @Test func watchdogPingsFollowTheSamplerWithinHalfTheInterval() throws {
        let dir = temporaryDirectory("watchdog")
        let notify = try NotifySocket(path: dir.appendingPathComponent("notify.sock").path)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: daemonArgs(),
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "500000"])
        let messages = notify.receiveAll(seconds: 3)
        let pings = messages.filter { $0.message.contains("WATCHDOG=1") }.map(\.time)
        #expect(pings.count >= 10, "only \(pings.count) pings in 3 s")
        let gaps = zip(pings.dropFirst(), pings).map { $0 - $1 }
        #expect((gaps.max() ?? 1) < 0.25, "largest gap \(gaps.max() ?? -1) s")
        #expect(daemon.terminate() == 0)
    }

    @Test func sighupReloadsThePolicyAndKeepsTheQueue() throws {
        let dir = temporaryDirectory("reload")
        let policy = dir.appendingPathComponent("policy.yaml")
        let text = try String(contentsOf: repoRoot.appendingPathComponent("Policies/default.yaml"), encoding: .utf8)
        try text.write(to: policy, atomically: true, encoding: .utf8)
        let notify = try NotifySocket(path: dir.appendingPathComponent("notify.sock").path)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"),
                                       args: daemonArgs() + ["--policy", policy.path], environment: ["NOTIFY_SOCKET": notify.path])
        _ = notify.receive(until: "READY=1", seconds: 10)
        let first = try daemon.cli(["submit", "--kind", "batch", "--deadline", "20d", "--json", "--", "true"])
        let a = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [String: Any], "\(first.stderr)")
        #expect(a["expected_duration_s"] as? Double == 3600)   // batch: 1h in Policies/default.yaml
        try text.replacingOccurrences(of: "  batch:\n    expected-duration: 1h", with: "  batch:\n    expected-duration: 5h")
            .write(to: policy, atomically: true, encoding: .utf8)
        kill(daemon.process.processIdentifier, SIGHUP)
        let reload = notify.receive(until: "READY=1", seconds: 10)
        #expect(reload.contains { $0.contains("RELOADING=1") && $0.contains("MONOTONIC_USEC=") }, "got \(reload)")
        let second = try daemon.cli(["submit", "--kind", "batch", "--deadline", "20d", "--json", "--", "true"])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(second.stdout.utf8)) as? [String: Any], "\(second.stderr)")
        #expect(b["expected_duration_s"] as? Double == 18000)
        let jobs = try #require(try daemon.json(["jobs"]) as? [[String: Any]])
        #expect(jobs.count == 2)
        #expect(daemon.terminate() == 0)
    }

    @Test func aSecondDaemonOnTheSameStateFolderIsRefused() throws {
        let state = temporaryDirectory("twice")
        let first = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let second = try runTool("verdantd", ["--state-dir", state.path] + daemonArgs())
        #expect(second.status != 0)
        #expect(second.stderr.contains("another verdantd (pid \(first.process.processIdentifier)) is using the state folder"), "\(second.stderr)")
        // The first one still answers on its socket.
        #expect(try first.cli(["status"]).status == 0)
        #expect(first.terminate() == 0)
    }

    @Test func jobsStartWithDefaultSignalsAndCancelTerminatesThem() throws {
        let state = temporaryDirectory("signals")
        let daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        // grep reads its own status: what the job's program started with.
        let probe = try daemon.cli(["submit", "--deadline", "1h", "--expected-duration", "10m", "--",
                                    "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"])
        let probeID = try #require(Int(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(probe.stderr)")
        let done = try waitFor(30) { () -> [String: Any]? in
            let j = try daemon.json(["show", String(probeID)]) as? [String: Any]
            return j?["state"] as? String == "succeeded" ? j : nil
        }
        let doneJob = try #require(done)
        let log = try String(contentsOfFile: try #require(doneJob["log_path"] as? String), encoding: .utf8)
        #expect(log.contains("SigBlk:\t0000000000000000"), "\(log)")
        // No standard signal (1–31) ignored; glibc keeps its reserved real-time signals to itself.
        let ignored = log.split(separator: "\n").first { $0.hasPrefix("SigIgn:") }
            .flatMap { UInt64($0.dropFirst("SigIgn:".count).trimmingCharacters(in: .whitespaces), radix: 16) }
        #expect(ignored.map { $0 & 0x7fff_ffff } == 0, "\(log)")

        let r = try daemon.cli(["submit", "--deadline", "1h", "--expected-duration", "10m", "--", "sleep", "60"])
        let id = try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "\(r.stderr)")
        _ = try waitFor(30) { () -> Bool? in
            (try daemon.json(["show", String(id)]) as? [String: Any])?["state"] as? String == "running" ? true : nil
        }
        let t0 = Date()
        #expect(try daemon.cli(["cancel", String(id)]).status == 0)
        let ended = try waitFor(15) { () -> [String: Any]? in
            let j = try daemon.json(["show", String(id)]) as? [String: Any]
            return j?["state"] as? String == "cancelled" ? j : nil
        }
        let e = try #require(ended)
        #expect(e["signal"] as? Int == Int(SIGTERM), "\(e)")   // SIGTERM was enough: not the 10 s SIGKILL
        #expect(Date().timeIntervalSince(t0) < 5)
        #expect(daemon.terminate() == 0)
    }
}
