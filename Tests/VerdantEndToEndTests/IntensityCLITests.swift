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
}
