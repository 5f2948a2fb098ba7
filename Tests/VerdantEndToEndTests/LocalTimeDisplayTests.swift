import Foundation
import Testing
import VerdantCore

/// Human output shows instants in the local time zone (`TZ`) with its abbreviation; `--json` keeps
/// ISO-8601 UTC whatever `TZ` says (issue 12).
@Suite(.serialized) struct LocalTimeDisplayTests {
    /// `d` shifted by `offsetSeconds` and written as UTC wall time: the expected local text, computed
    /// without the local-zone code under test (June 2020 in Berlin is CEST = UTC+2, in New York EDT = UTC−4).
    static func wall(_ d: Date, offsetSeconds: Double, seconds: Bool) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = seconds ? "yyyy-MM-dd HH:mm:ss" : "yyyy-MM-dd HH:mm"
        return f.string(from: d.addingTimeInterval(offsetSeconds))
    }

    @Test func tablesAndDetailsShowTheLocalZoneAndJSONStaysUTC() throws {
        let state = temporaryDirectory("localtime")
        // Replay from the trace's start (2020-06-01T00:00Z) at 1x: the job's times are in June 2020.
        let daemon = try DaemonProcess(stateDirectory: state, args: ["--replay-speed", "1"])
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        func verdant(_ args: [String], tz: String?) throws -> CommandResult {
            var e = env
            if let tz { e["TZ"] = tz } else { e.removeValue(forKey: "TZ") }
            let r = try runTool("verdant", [args[0], "--state-dir", state.path] + args.dropFirst(), environment: e)
            #expect(r.status == 0, "verdant \(args) failed: \(r.stderr)")
            return r
        }
        _ = try verdant(["submit", "--name", "tz-job", "--kind", "batch", "--deadline", "12h", "--expected-duration", "1h", "--", "true"], tz: nil)
        let jsonUTC = try verdant(["show", "1", "--json"], tz: "UTC").stdout
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(jsonUTC.utf8)) as? [String: Any])
        let planned = try #require(date(obj["planned_start"]))
        let latest = try #require(date(obj["latest_start"]))
        let submitted = try #require(date(obj["submitted_at"]))
        let deadline = try #require(date(obj["deadline"]))
        #expect(ISO8601.string(planned).hasPrefix("2020-06-"), "replay starts in June 2020: \(jsonUTC)")

        // Berlin in June: CEST, two hours ahead of UTC.
        let berlin = 7200.0
        let show = try verdant(["show", "1"], tz: "Europe/Berlin").stdout
        #expect(show.contains("submitted:       \(Self.wall(submitted, offsetSeconds: berlin, seconds: true)) CEST\n"), "\(show)")
        #expect(show.contains("deadline:        \(Self.wall(deadline, offsetSeconds: berlin, seconds: true)) CEST\n"), "\(show)")
        #expect(show.contains("planned start:   \(Self.wall(planned, offsetSeconds: berlin, seconds: true)) CEST (latest \(Self.wall(latest, offsetSeconds: berlin, seconds: true)) CEST)\n"), "\(show)")
        #expect(!show.contains("Z\n") && !show.contains("T0"), "an ISO-8601 UTC instant left in human output:\n\(show)")

        let jobs = try verdant(["jobs"], tz: "Europe/Berlin").stdout
        #expect(jobs.contains("\(Self.wall(planned, offsetSeconds: berlin, seconds: false)) CEST  \(Self.wall(deadline, offsetSeconds: berlin, seconds: false)) CEST"), "\(jobs)")

        // The plan's window: one day and one zone, so `date start – end zone`.
        let end = planned.addingTimeInterval(3600)
        let start = Self.wall(planned, offsetSeconds: berlin, seconds: false)
        let endText = Self.wall(end, offsetSeconds: berlin, seconds: false)
        let window = start.prefix(10) == endText.prefix(10)
            ? "\(start) – \(endText.dropFirst(11)) CEST" : "\(start) CEST – \(endText) CEST"
        let plan = try verdant(["plan"], tz: "Europe/Berlin").stdout
        #expect(plan.contains(window), "no '\(window)' in\n\(plan)")

        // New York in June: EDT, four hours behind.
        let ny = try verdant(["show", "1"], tz: "America/New_York").stdout
        #expect(ny.contains("submitted:       \(Self.wall(submitted, offsetSeconds: -4 * 3600, seconds: true)) EDT\n"), "\(ny)")

        // UTC shows as UTC.
        let utc = try verdant(["show", "1"], tz: "UTC").stdout
        #expect(utc.contains("submitted:       \(Self.wall(submitted, offsetSeconds: 0, seconds: true)) UTC\n"), "\(utc)")

        // --json is the same UTC document whatever TZ says.
        let jsonBerlin = try verdant(["show", "1", "--json"], tz: "Europe/Berlin").stdout
        let objBerlin = try #require(try JSONSerialization.jsonObject(with: Data(jsonBerlin.utf8)) as? [String: Any])
        for key in ["planned_start", "latest_start", "submitted_at", "deadline"] {
            #expect(objBerlin[key] as? String == obj[key] as? String, "\(key) differs under TZ=Europe/Berlin")
            #expect((objBerlin[key] as? String)?.hasSuffix("Z") == true, "\(key) is not UTC: \(objBerlin[key] ?? "nil")")
        }
        // The HTML report's header: the range in local time (the charts and job table stay labelled UTC).
        let html = try verdant(["report", "--format", "html", "--since", "2020-06-01T00:00:00Z", "--until", "2020-06-02T00:00:00Z"],
                               tz: "Europe/Berlin").stdout
        #expect(html.contains("from 2020-06-01 02:00:00 CEST to 2020-06-02 02:00:00 CEST, grouped by job. Generated "), "\(html.prefix(1500))")
        let csv = try verdant(["report", "--format", "csv"], tz: "Europe/Berlin").stdout
        #expect(!csv.contains("CEST"), "CSV must stay UTC: \(csv)")
        let jobsJSON = try verdant(["jobs", "--json"], tz: "Europe/Berlin").stdout
        #expect(!jobsJSON.contains("CEST") && jobsJSON.contains(obj["planned_start"] as! String), "\(jobsJSON)")
        _ = daemon.terminate()
    }
}
