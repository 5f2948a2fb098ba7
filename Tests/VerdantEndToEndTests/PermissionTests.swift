import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Counters readable by root only (the CVE-2020-8694 fix): an unprivileged reader reports
/// `unavailable: permission` with the fix, never zero joules.
@Suite(.serialized) struct PermissionTests {
    /// A powercap tree whose energy_uj is mode 0400, owned by root.
    func rootOnlyTree() throws -> URL {
        let root = temporaryDirectory("rootonly")
        chmod(root.path, 0o755)
        let zone = root.appendingPathComponent("intel-rapl:0")
        try FileManager.default.createDirectory(at: zone, withIntermediateDirectories: true)
        chmod(zone.path, 0o755)
        for (file, value, mode) in [("name", "package-0", 0o444), ("max_energy_range_uj", "262143328850", 0o444),
                                    ("energy_uj", "52649883221", 0o400)] {
            let path = zone.appendingPathComponent(file).path
            try (value + "\n").write(toFile: path, atomically: false, encoding: .utf8)
            chmod(path, mode_t(mode))
        }
        return root
    }

    @Test(.enabled(if: getuid() == 0, "needs root to create a root-only file and drop privileges"))
    func unprivilegedSensorsReportPermissionWithTheFix() throws {
        let tree = try rootOnlyTree()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--",
                       binDirectory.appendingPathComponent("verdant").path, "sensors", "--root", tree.path,
                       "--perf-root", "", "--json"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let obj = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let sources = try #require(obj["sources"] as? [[String: Any]])
        let powercap = try #require(sources.first { $0["name"] as? String == "powercap" })
        #expect(powercap["status"] as? String == "unavailable: permission")
        #expect((powercap["detail"] as? String ?? "").contains("run verdantd as root"))
        #expect((obj["zones"] as? [Any])?.isEmpty == true)
        // As root the same tree is read.
        let asRoot = try runTool("verdant", ["sensors", "--root", tree.path, "--perf-root", "", "--json"])
        #expect(asRoot.stdout.contains("52649883221"))
    }

    @Test(.enabled(if: getuid() == 0, "needs root to create a root-only file and drop privileges"))
    func anUnprivilegedDaemonStartsRunsJobsAndSaysWhy() throws {
        let tree = try rootOnlyTree()
        let state = temporaryDirectory("nobody")
        chown(state.path, 65534, 65534)
        let nobody = ["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"]
        let daemon = try DaemonProcess(stateDirectory: state.appendingPathComponent("s"), args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "3600", "--powercap-root", tree.path,
            "--perf-power-root", "/nonexistent/power", "--sample-interval", "0.2s",
        ], launcher: nobody)
        let status = try #require(try daemon.json(["status"]) as? [String: Any])
        let sources = try #require(status["sources"] as? [[String: Any]])
        #expect(sources.first { $0["name"] as? String == "powercap" }?["status"] as? String == "unavailable: permission")
        #expect(status["energy_source"] as? String == "estimated")
        let submit = try daemon.cli(["submit", "--deadline", "2h", "--expected-duration", "30m", "--", "sh", "-c",
                                     "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; id -u"])
        #expect(submit.status == 0, "\(submit.stderr)")
        let id = try #require(Int(submit.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let job = try waitFor(60) { () -> [String: Any]? in
            let j = try daemon.json(["show", String(id)]) as? [String: Any]
            return (j?["state"] as? String).map { ["succeeded", "failed", "lost"].contains($0) } == true ? j : nil
        }
        let j = try #require(job, "daemon log:\n\(daemon.daemonLog())")
        #expect(j["state"] as? String == "succeeded", "\(j)")
        #expect(j["uid"] as? Int == 65534)
        #expect(j["energy_source"] as? String == "estimated")
        #expect(try #require(j["energy_j"] as? Double) > 0)
        let log = try String(contentsOfFile: try #require(j["log_path"] as? String), encoding: .utf8)
        #expect(log.contains("65534"))
        #expect(daemon.terminate() == 0)
    }
}
