import Foundation
import Testing

/// `verdant intensity …` against a real `verdantd` (issue 4).
@Suite(.serialized) struct IntensityCLITests {
    let bundled = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources/VerdantDaemon/Resources/traces/de-2020-06_entsoe_15min.csv")

    @Test func importRefusesABadFileWholeAndReportsGapsOfAGoodOne() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-icli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let state = dir.appendingPathComponent("state")
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--intensity-trace", bundled.path, "--replay-speed", "3600", "--replay-start", "2020-06-10T00:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--sample-interval", "0.5s"])
        func verdant(_ args: [String]) throws -> CommandResult {
            try runTool("verdant", args + ["--state-dir", state.path])
        }
        let bad = dir.appendingPathComponent("bad.csv")
        try "time,XX\n2021-01-01 00:00:00,300\n2021-01-01 01:00:00,310\n2021-01-01 02:00:00,-1\n".write(to: bad, atomically: true, encoding: .utf8)
        let r1 = try verdant(["intensity", "import", bad.path])
        #expect(r1.status == 1)
        #expect(r1.stderr.contains("bad.csv:4:") && r1.stderr.contains("nothing was imported"), "\(r1.stderr)")
        let none = try verdant(["intensity", "--zone", "XX", "--since", "2020-12-31T00:00:00Z", "--until", "2021-01-02T00:00:00Z", "--json"])
        #expect(none.status == 0)
        #expect((try JSONSerialization.jsonObject(with: Data(none.stdout.utf8)) as? [Any])?.isEmpty == true)

        let good = dir.appendingPathComponent("good.csv")
        try "time,XX\n2021-01-01 00:00:00,300\n2021-01-01 01:00:00,\n2021-01-01 02:00:00,320\n2021-01-01 04:00:00,330\n".write(to: good, atomically: true, encoding: .utf8)
        let r2 = try verdant(["intensity", "import", good.path, "--json"])
        #expect(r2.status == 0, "\(r2.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(r2.stdout.utf8)) as? [String: Any])
        #expect(result["slots"] as? Int == 4)
        #expect(result["known"] as? Int == 3)
        let gaps = try #require(result["gaps"] as? [[String: Any]])
        #expect(gaps.map { $0["reason"] as? String } == ["null-value", "missing-slot"])
        #expect(gaps.map { $0["line"] as? Int } == [3, 5])
        let points = try #require(try JSONSerialization.jsonObject(with: Data(try verdant([
            "intensity", "--zone", "XX", "--since", "2020-12-31T00:00:00Z", "--until", "2021-01-02T00:00:00Z", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(points.map { $0["start"] as? String } == ["2021-01-01T00:00:00Z", "2021-01-01T01:00:00Z", "2021-01-01T02:00:00Z", "2021-01-01T04:00:00Z"])
        #expect(points.map { $0["gco2_per_kwh"] as? Double } == [300, nil, 320, 330])
        #expect(points[1]["gco2_per_kwh"] is NSNull)
        #expect(points.allSatisfy { $0["duration_s"] as? Double == 3600 && $0["kind"] as? String == "average" && $0["source"] as? String == "import:good.csv" })

        let sources = try #require(try JSONSerialization.jsonObject(with: Data(try verdant(["intensity", "sources", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(sources.first?["name"] as? String == "trace:de-2020-06_entsoe_15min.csv")
        let status = try #require(try daemon.json(["status"]) as? [String: Any])
        #expect(status["intensity_kind"] as? String == "average")
        #expect(daemon.terminate() == 0)
    }

    @Test func runningDaemonWhoseProviderBreaksPlansFromCacheThenStatic() throws {
        let dir = temporaryDirectory("chain")
        let h0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        func iso(_ d: Date) -> String {
            let f = DateFormatter()
            f.locale = Locale(identifier: "en_US_POSIX")
            f.timeZone = TimeZone(identifier: "UTC")
            f.dateFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'"
            return f.string(from: d)
        }
        let file = dir.appendingPathComponent("forecast.json")
        let points = (0..<24).map { i in
            "{\"start\": \"\(iso(h0.addingTimeInterval(Double(i) * 3600)))\", \"duration_s\": 3600, \"gco2_per_kwh\": \(i == 8 ? 90 : 300)}"
        }
        try ("[" + points.joined(separator: ",\n") + "]\n").write(to: file, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("verdantd.yaml")
        try """
            intensity-zone: DE
            intensity-providers: file
            intensity-file: \(file.path)
            intensity-refresh: 0.2s
            intensity-forecast-ttl: 12s
            intensity-backoff-base: 0.1s
            intensity-backoff-cap: 0.2s
            powercap-root: /nonexistent/powercap
            sample-interval: 0.5s
            """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: ["--config", config.path])
        func source() -> String? { (try? daemon.json(["status"]) as? [String: Any])?["intensity_source"] as? String }
        func submit() throws -> [String: Any] {
            let r = try daemon.cli(["submit", "--json", "--deadline", "20h", "--expected-duration", "1h", "--", "true"])
            return try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        }
        #expect(try waitFor(20) { source() == "file:forecast.json" ? true : nil } == true, "\(daemon.daemonLog())")
        let j1 = try submit()
        #expect(j1["intensity_source"] as? String == "file:forecast.json")
        #expect(j1["planned_intensity_g_per_kwh"] as? Double == 90)

        // The provider breaks while the daemon runs: plans continue from the cache, then the static table value.
        // The cache phase lasts the TTL from the last good read (12 s): long enough for the status polls and
        // the submission below, each a CLI process that may take seconds to start on a loaded machine
        // (with 4 s, j2 could be planned after the cache expired, on the static value).
        try "[{\"start\": \"not a time\"}]".write(to: file, atomically: true, encoding: .utf8)
        #expect(try waitFor(10) { source() == "cache:file:forecast.json" ? true : nil } == true)
        let j2 = try submit()
        #expect(j2["intensity_source"] as? String == "cache:file:forecast.json")
        #expect(j2["planned_intensity_g_per_kwh"] as? Double == 90)
        let sources = try #require(try daemon.json(["intensity", "sources"]) as? [[String: Any]])
        #expect((sources.first?["last_error"] as? String ?? "").contains("forecast.json:1:"))
        #expect(try waitFor(30) { (source() ?? "").hasPrefix("static 380.95 gCO2eq/kWh (DEU 2023") ? true : nil } == true)
        let j3 = try submit()
        #expect((j3["intensity_source"] as? String ?? "").hasPrefix("static 380.95"))
        #expect(j3["planned_intensity_g_per_kwh"] as? Double == 380.95)
        let status = try #require(try daemon.json(["status"]) as? [String: Any])
        #expect(status["intensity_is_fallback"] as? Bool == true)
        #expect(daemon.terminate() == 0)
    }
}
