import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `verdant doctor` and `verdant config dump` against a real daemon and temporary sysfs trees (issue 12).
@Suite(.serialized) struct FirstHourTests {
    /// A powercap tree with one readable package zone, as the intel_rapl driver lays it out.
    func powercapTree() throws -> URL {
        let root = temporaryDirectory("powercap")
        let zone = root.appendingPathComponent("intel-rapl/intel-rapl:0")
        try FileManager.default.createDirectory(at: zone, withIntermediateDirectories: true)
        try "package-0\n".write(to: zone.appendingPathComponent("name"), atomically: true, encoding: .utf8)
        try "123456789\n".write(to: zone.appendingPathComponent("energy_uj"), atomically: true, encoding: .utf8)
        try "262143328850\n".write(to: zone.appendingPathComponent("max_energy_range_uj"), atomically: true, encoding: .utf8)
        return root
    }

    func checks(_ r: CommandResult) throws -> [String: [String: Any]] {
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "not JSON: \(r.stdout) \(r.stderr)")
        let list = try #require(obj["checks"] as? [[String: Any]])
        return Dictionary(list.map { ($0["name"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
    }

    @Test func doctorWithoutDaemonIsAnErrorAndSaysThereIsNoRAPL() throws {
        let state = temporaryDirectory("doctor-none")
        let r = try runTool("verdant", ["doctor", "--json", "--state-dir", state.path, "--powercap-root", "/nonexistent/powercap",
                                        "--perf-power-root", "/nonexistent/power"])
        #expect(r.status == 1, "doctor must fail when the daemon is unreachable: \(r.stdout)")
        let c = try checks(r)
        #expect(c["daemon"]?["status"] as? String == "error")
        #expect((c["daemon"]?["fix"] as? String)?.contains("verdantd --state-dir \(state.path)") == true)
        #expect(c["energy.powercap"]?["status"] as? String == "warning")
        let estimate = try #require(c["energy.estimate"])
        #expect(estimate["status"] as? String == "warning")
        let summary = estimate["summary"] as? String ?? ""
        #expect(summary.contains("no RAPL energy counter"))
        #expect(summary.contains("TDP curve"))
        // The basis named is this machine's CPU (from /proc/cpuinfo), as verdantd would use it.
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        if let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("model name") }) {
            let model = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces)
            #expect(summary.contains(model), "\(summary) does not name \(model)")
        }
        #expect(c["intensity"]?["status"] as? String == "warning")
    }

    @Test func doctorWithADaemonAndReadableRAPLReportsEachCheck() throws {
        let state = temporaryDirectory("doctor")
        let powercap = try powercapTree()
        let daemon = try DaemonProcess(stateDirectory: state, args: ["--powercap-root", powercap.path, "--perf-power-root", "/nonexistent/power",
                                                                     "--sample-interval", "0.2s", "--flush-interval", "1s"])
        let r = try daemon.cli(["doctor", "--json", "--powercap-root", powercap.path, "--perf-power-root", "/nonexistent/power"])
        let c = try checks(r)
        #expect(c["energy.powercap"]?["status"] as? String == "ok")
        #expect((c["energy.powercap"]?["summary"] as? String)?.contains("intel-rapl:0 package-0") == true)
        #expect(c["energy.estimate"]?["status"] as? String == "ok")
        #expect(c["energy.perf"]?["status"] as? String == "ok", "absent perf PMU is fine when RAPL is read")
        #expect(c["daemon"]?["status"] as? String == "ok")
        #expect((c["daemon"]?["summary"] as? String)?.hasPrefix("verdantd 0.1.0 answers") == true)
        #expect(c["state-folder"]?["status"] as? String == "ok")
        #expect((c["database"]?["summary"] as? String)?.hasSuffix("quick_check ok") == true)
        #expect(c.keys.contains { $0.hasPrefix("intensity.trace:") })
        #expect(c["model"] != nil, "\(c.keys.sorted())")
        // PID 1 here is not systemd: a warning, with the by-hand start as the fix.
        let pid1 = try String(contentsOfFile: "/proc/1/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if pid1 != "systemd" { #expect(c["systemd"]?["status"] as? String == "warning") }
        // Exit status follows the checks: 1 exactly when one is an error.
        let errors = c.values.filter { $0["status"] as? String == "error" }.count
        #expect(r.status == (errors > 0 ? 1 : 0))

        // A corrupt database is an error with the fix.
        let text = try daemon.cli(["doctor", "--powercap-root", powercap.path])
        #expect(text.stdout.contains("ok      energy.powercap"))
        #expect(text.stdout.contains(" ok, "))
        _ = daemon.terminate()
        let db = state.appendingPathComponent("verdant.sqlite")
        let handle = try FileHandle(forWritingTo: db)
        try handle.seek(toOffset: 4096)
        handle.write(Data(repeating: 0xA5, count: 8192))
        try handle.close()
        try? FileManager.default.removeItem(at: state.appendingPathComponent("verdant.sqlite-wal"))
        let after = try checks(try runTool("verdant", ["doctor", "--json", "--state-dir", state.path]))
        #expect(after["database"]?["status"] as? String == "error", "\(after["database"] ?? [:])")
    }

    @Test func configDumpNamesTheSourceOfEachValueAndMasksSecrets() throws {
        let dir = temporaryDirectory("config")
        let token = dir.appendingPathComponent("em-token")
        try "s3cret-token\n".write(to: token, atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("verdantd.yaml")
        try "static-intensity: 300\nraw-retention: 2d\nelectricitymaps-token-file: \(token.path)\n".write(to: file, atomically: true, encoding: .utf8)
        var env = ProcessInfo.processInfo.environment
        env["VERDANT_WATTTIME_PASSWORD"] = "hunter2"
        let r = try runTool("verdant", ["config", "dump", "--json", "--state-dir", dir.appendingPathComponent("none").path, "--",
                                        "--config", file.path, "--log-level", "debug", "--raw-retention=3d"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("s3cret") && !r.stdout.contains("hunter2"), "a secret leaked: \(r.stdout)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let entries = try #require(obj["entries"] as? [[String: Any]])
        let byKey = Dictionary(entries.map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["static-intensity"]?["value"] as? String == "300")
        #expect(byKey["static-intensity"]?["source"] as? String == "file")
        #expect(byKey["static-intensity"]?["origin"] as? String == "\(file.path):1")
        #expect(byKey["raw-retention"]?["value"] as? String == "3d")
        #expect(byKey["raw-retention"]?["source"] as? String == "command line")
        #expect(byKey["log-level"]?["source"] as? String == "command line")
        #expect(byKey["electricitymaps-token"]?["value"] as? String == "********")
        #expect(byKey["electricitymaps-token"]?["source"] as? String == "file")
        #expect(byKey["watttime-password"]?["source"] as? String == "environment")
        #expect(byKey["watttime-password"]?["origin"] as? String == "$VERDANT_WATTTIME_PASSWORD")
        #expect(byKey["state-dir"] == nil, "defaults are shown only with --effective")

        let all = try runTool("verdant", ["config", "dump", "--effective", "--state-dir", dir.appendingPathComponent("none").path])
        #expect(all.status == 0)
        #expect(all.stdout.contains("intensity-trace             bundled:de-2020-06_entsoe_15min.csv  default (embedded default configuration)"), "\(all.stdout)")
        #expect(all.stdout.contains("sample-interval             1s"))
        #expect(!all.stdout.contains("(not rendered)"), "a key has no rendering in ConfigurationDump.values")

        // A bad file is refused as verdantd refuses it: file, line, key.
        try "replay-speed: -1\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try runTool("verdant", ["config", "dump", "--", "--config", file.path])
        #expect(bad.status == 78)
        #expect(bad.stderr.contains("\(file.path):1: 'replay-speed' must be 0 (off) or positive"), "\(bad.stderr)")
    }

    @Test func configDumpOfARunningDaemonUsesItsCommandLine() throws {
        let state = temporaryDirectory("config-running")
        let daemon = try DaemonProcess(stateDirectory: state, args: ["--replay-speed", "720", "--powercap-root", "/nonexistent/powercap",
                                                                     "--perf-power-root", "/nonexistent/power"])
        let r = try runTool("verdant", ["config", "dump", "--json", "--state-dir", state.path])
        #expect(r.status == 0, "\(r.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(obj["pid"] as? Int == Int(daemon.process.processIdentifier))
        let entries = try #require(obj["entries"] as? [[String: Any]])
        let byKey = Dictionary(entries.map { ($0["key"] as! String, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byKey["replay-speed"]?["value"] as? String == "720")
        #expect(byKey["state-dir"]?["value"] as? String == state.path)
        #expect(byKey["state-dir"]?["source"] as? String == "command line")
    }
}
