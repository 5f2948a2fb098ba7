import Foundation
import Testing

/// Issue 12's other long operations: `verdant intensity import` and `verdant report` (the daemon
/// streams its progress, `?progress=1`) and `verdant forecast bench` (training, local), each under a
/// pseudo-terminal (util-linux `script`: stdout and stderr are the terminal, both captured in its
/// stdout) and through pipes or with JSON output, against a real `verdantd`.
@Suite(.serialized) struct StreamedProgressTests {
    static let script = "/usr/bin/script"

    /// Runs `verdant ARGS` under a pseudo-terminal; `script -e` exits with the command's status.
    func onTerminal(_ args: [String]) throws -> CommandResult {
        try #require(FileManager.default.isExecutableFile(atPath: Self.script), "util-linux script is needed for a pseudo-terminal")
        let command = ([binDirectory.appendingPathComponent("verdant").path] + args).joined(separator: " ")
        return try runProgram(Self.script, ["-qec", command, "/dev/null"])
    }

    /// The progress lines (`\r`-started) with `label` in a terminal capture.
    func progressLines(_ text: String, _ label: String) -> [String] {
        text.components(separatedBy: "\r").filter { $0.hasPrefix(label + " ") }
    }

    /// `label D/T  R/s  ETA E` with a number for the rate and a duration for the ETA (`ProgressLine`).
    func hasRateAndETA(_ line: String, _ label: String) -> Bool {
        line.range(of: "^\(NSRegularExpression.escapedPattern(for: label)) [0-9]+/[0-9]+  [0-9.]+/s  ETA [0-9dhms]+",
                   options: .regularExpression) != nil
    }

    func daemon(_ dir: URL) throws -> DaemonProcess {
        try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "3600", "--replay-start", "2020-06-10T00:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--sample-interval", "0.5s"])
    }

    @Test func intensityImportStreamsTheSlotsWrittenOnATerminalOnly() throws {
        let dir = temporaryDirectory("stream-import")
        let d = try daemon(dir)
        let state = ["--state-dir", d.stateDirectory.path]
        // A terminal: the first event (0 of the trace's 2880 rows once the daemon has parsed the file,
        // printed at once, no rate yet), then lines with the rate of the write, the last 2880/2880
        // (ETA 0s, line ended), then the usual result lines.
        let t = try onTerminal(["intensity", "import", bundledTrace.path, "--zone", "XA"] + state)
        #expect(t.status == 0, "\(t.stdout)")
        let lines = progressLines(t.stdout, "slots written")
        #expect(lines.first?.hasPrefix("slots written 0/2880  -/s  ETA -") == true, "\(t.stdout.debugDescription)")
        #expect(lines.filter { $0.hasPrefix("slots written 2880/2880  ") }.count == 1, "\(t.stdout.debugDescription)")
        #expect(lines.count >= 2 && lines.dropFirst().allSatisfy { hasRateAndETA($0, "slots written") }, "\(lines)")
        #expect(lines.last?.contains("ETA 0s") == true)
        #expect(t.stdout.contains("imported 2880 slots (2880 with a value) for zone XA"), "\(t.stdout)")

        // Pipes: the same import writes not one progress byte.
        let p = try runTool("verdant", ["intensity", "import", bundledTrace.path, "--zone", "XB"] + state)
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.isEmpty, "progress written to a pipe: \(p.stderr.debugDescription)")
        #expect(!p.stdout.contains("\r") && p.stdout.contains("imported 2880 slots"), "\(p.stdout)")

        // --json on a terminal: the JSON only.
        let j = try onTerminal(["intensity", "import", bundledTrace.path, "--zone", "XC", "--json"] + state)
        #expect(j.status == 0, "\(j.stdout)")
        #expect(!j.stdout.contains("slots written"), "\(j.stdout.debugDescription)")
        #expect(j.stdout.contains("\"slots\" : 2880"), "\(j.stdout)")

        // A bad row with the stream on: the error line of the stream, naming file:line; nothing stored.
        let bad = dir.appendingPathComponent("bad.csv")
        try "time,XD\n2021-01-01 00:00:00,300\n2021-01-01 01:00:00,-1\n".write(to: bad, atomically: true, encoding: .utf8)
        let b = try onTerminal(["intensity", "import", bad.path] + state)
        #expect(b.status == 1, "\(b.stdout)")
        #expect(b.stdout.contains("bad.csv:3:") && b.stdout.contains("nothing was imported"), "\(b.stdout)")
        #expect(!b.stdout.contains("slots written"))
        let none = try d.json(["intensity", "--zone", "XD", "--since", "2020-12-31T00:00:00Z", "--until", "2021-01-02T00:00:00Z"])
        #expect((none as? [Any])?.isEmpty == true)
        #expect(d.terminate() == 0)
    }

    @Test func reportStreamsItsStepsOnATerminalOnly() throws {
        let dir = temporaryDirectory("stream-report")
        let d = try daemon(dir)
        let state = ["--state-dir", d.stateDirectory.path]
        // Node samples over at least 2 s, so the zone step has data and the timeline (1-s buckets from the
        // first sample to the last stored one) has at least two buckets: the chart needs two x values.
        // The first flush alone may hold under a second of samples, all in one bucket ("no data").
        let covered = try waitFor(30) { () -> Double? in
            let r = try runTool("verdant", ["report", "--by", "zone", "--format", "json"] + state)
            let rows = (try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]]
            guard let row = rows?.first(where: { $0["key"] as? String == "cpu-estimate" }) else { return nil }
            let seconds = (row["estimated_s"] as? Double ?? 0) + (row["measured_s"] as? Double ?? 0)
            return seconds >= 2 ? seconds : nil
        }
        #expect(covered != nil, "under 2 s of node samples after 30 s:\n\(d.daemonLog())")
        // A terminal, HTML to a file, by zone: 4 steps (jobs read, jobs priced, zones, timeline).
        let html = dir.appendingPathComponent("r.html")
        let t = try onTerminal(["report", "--since", "30d", "--by", "zone", "--format", "html", "--output", html.path] + state)
        #expect(t.status == 0, "\(t.stdout)")
        let lines = progressLines(t.stdout, "report steps")
        #expect(lines.first?.hasPrefix("report steps 1/4  ") == true, "\(t.stdout.debugDescription)")
        #expect(lines.filter { $0.hasPrefix("report steps 4/4  ") }.count == 1, "\(t.stdout.debugDescription)")
        #expect(lines.allSatisfy { hasRateAndETA($0, "report steps") }, "\(lines)")
        #expect(t.stdout.contains("report written to \(html.path)"))
        #expect(((try? String(contentsOf: html, encoding: .utf8)) ?? "").contains("<svg"))
        // The table on a terminal: 2 steps.
        let table = try onTerminal(["report"] + state)
        #expect(progressLines(table.stdout, "report steps").last?.hasPrefix("report steps 2/2  ") == true, "\(table.stdout.debugDescription)")

        // JSON on a terminal, the table through a pipe, --output with stderr a pipe: no progress.
        let j = try onTerminal(["report", "--format", "json"] + state)
        #expect(j.status == 0 && !j.stdout.contains("report steps"), "\(j.stdout.debugDescription)")
        let p = try runTool("verdant", ["report", "--by", "zone"] + state)
        #expect(p.status == 0 && p.stderr.isEmpty && !p.stdout.contains("\r"), "\(p.stderr.debugDescription)")
        let f = try runTool("verdant", ["report", "--format", "csv", "--output", dir.appendingPathComponent("r.csv").path] + state)
        #expect(f.status == 0 && f.stderr == "verdant: report written to \(dir.appendingPathComponent("r.csv").path)\n", "\(f.stderr.debugDescription)")
        // A pipe for stdout with stderr still the terminal: the report goes down the pipe, no progress.
        let piped = try runProgram(Self.script, ["-qec", "\(binDirectory.appendingPathComponent("verdant").path) report --state-dir \(d.stateDirectory.path) | cat", "/dev/null"])
        #expect(piped.status == 0 && !piped.stdout.contains("report steps"), "\(piped.stdout.debugDescription)")
        // A bad option reaches the daemon through the stream and comes back as the same error.
        let bad = try onTerminal(["report", "--since", "yesterday"] + state)
        #expect(bad.status == 1 && bad.stdout.contains("--since 'yesterday' is neither an ISO-8601 instant"), "\(bad.stdout)")
        #expect(d.terminate() == 0)
    }

    /// 20 weeks of hourly values of zone XX from 2020-01-15 (before the daemon's replay start), with a
    /// daily and a weekly cycle: enough for the default retrain (16 weeks + 12 validation folds, so 13
    /// fits) and short of a year, so `forecast bench` skips its one-year fit (minutes in a debug build).
    func hourlyTrace(_ dir: URL) throws -> String {
        var csv = "time,XX\n"
        let t0 = Date(timeIntervalSince1970: 1_579_046_400)   // 2020-01-15T00:00:00Z
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for i in 0..<(20 * 168) {
            let v = 300 + 80 * sin(2 * Double.pi * Double(i % 24) / 24) + 30 * cos(2 * Double.pi * Double(i % 168) / 168) + Double(i % 7)
            csv += "\(f.string(from: t0.addingTimeInterval(Double(i) * 3600))),\(v)\n"
        }
        let path = dir.appendingPathComponent("xx-hourly.csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func forecastShowsTheFitsOfATrainingItWaitsFor() throws {
        let dir = temporaryDirectory("stream-forecast")
        let trace = try hourlyTrace(dir)
        // Imported while the daemon is stopped (`verdantd import-intensity`, straight into the database it
        // made at its first start), so no zone is marked for the daemon's own retraining, which runs at its
        // check once a minute of real time after an import through the daemon: three slow imports (a loaded
        // machine) could let that retraining finish before the request below, which then found a model in
        // force and no fits.
        let first = try daemon(dir)
        #expect(first.terminate() == 0)
        for zone in ["XX", "XY", "XZ"] {
            let r = try runTool("verdantd", ["import-intensity", trace, "--zone", zone, "--state-dir", first.stateDirectory.path])
            #expect(r.status == 0, "\(r.stderr)")
        }
        let d = try daemon(dir)
        let state = ["--state-dir", d.stateDirectory.path]
        // The daemon has no model for XX and trains one for this request, showing the 13 fits on a terminal.
        let t = try onTerminal(["forecast", "--zone", "XX", "--horizon", "6h"] + state)
        #expect(t.status == 0, "\(t.stdout)")
        let fits = progressLines(t.stdout, "training fits")
        #expect(fits.filter { $0.hasPrefix("training fits 13/13  ") }.count == 1, "\(t.stdout.debugDescription)")
        #expect(!fits.isEmpty && fits.allSatisfy { hasRateAndETA($0, "training fits") }, "\(fits)")
        #expect(t.stdout.contains("zone XX: forecast"), "\(t.stdout)")
        // The model is in force now: nothing to train, no line.
        let again = try onTerminal(["forecast", "--zone", "XX", "--horizon", "6h"] + state)
        #expect(again.status == 0 && !again.stdout.contains("training fits"), "\(again.stdout.debugDescription)")
        // Untrained zones with --json on a terminal, and through a pipe: trained, but no progress.
        let j = try onTerminal(["forecast", "--zone", "XY", "--horizon", "6h", "--json"] + state)
        #expect(j.status == 0 && !j.stdout.contains("training fits") && j.stdout.contains("\"zone\" : \"XY\""), "\(j.stdout.debugDescription)")
        let p = try runTool("verdant", ["forecast", "--zone", "XZ", "--horizon", "6h"] + state)
        #expect(p.status == 0 && p.stderr.isEmpty && p.stdout.contains("zone XZ: forecast"), "\(p.stderr.debugDescription)")
        #expect(d.terminate() == 0)
    }

    @Test func forecastBenchShowsTrainingProgressOnATerminalOnly() throws {
        // 20 weeks of hourly values with a daily and a weekly cycle: enough for the default retrain
        // (16 weeks + 12 validation folds, so 13 fits) and short of a year, so the one-year fit is skipped
        // (a debug build takes minutes on the year-long fixtures).
        let trace = try hourlyTrace(temporaryDirectory("bench-progress"))
        let t = try onTerminal(["forecast", "bench", "--trace", trace, "--repeats", "300"])
        #expect(t.status == 0, "\(t.stdout)")
        let fits = progressLines(t.stdout, "fits (default retrain)")
        #expect(fits.filter { $0.hasPrefix("fits (default retrain) 13/13  ") }.count == 1, "\(t.stdout.debugDescription)")
        #expect(!fits.isEmpty && fits.allSatisfy { hasRateAndETA($0, "fits (default retrain)") }, "\(fits)")
        let forecasts = progressLines(t.stdout, "forecasts")
        #expect(forecasts.filter { $0.hasPrefix("forecasts 300/300  ") }.count == 1, "\(t.stdout.debugDescription)")
        #expect(forecasts.allSatisfy { hasRateAndETA($0, "forecasts") }, "\(forecasts)")
        #expect(t.stdout.contains("ms per forecast (mean of 300;"))
        #expect(t.stdout.contains("train one year: skipped") && !t.stdout.contains("fits (one year)"))

        let p = try runTool("verdant", ["forecast", "bench", "--trace", trace, "--repeats", "300"])
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stderr.isEmpty, "progress written to a pipe: \(p.stderr.debugDescription)")
        #expect(!p.stdout.contains("\r") && p.stdout.contains("default retrain (16 weeks + 12 validation folds)"), "\(p.stdout)")
    }
}
