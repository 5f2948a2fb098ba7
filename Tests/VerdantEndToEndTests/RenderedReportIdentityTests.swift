import Foundation
import Testing
import VerdantCore

/// Issue 8: `verdant report` receives the report rendered by `verdantd` (the fast path); the reference path
/// (`--client-render`: receive the `EnergyReport` as JSON and render in `verdant`) must give the same bytes,
/// for every grouping and format, on a real daemon's data (real jobs, the node's samples and rollups).
///
/// One known difference, which is the reference path's: an instant with milliseconds (`02:48:11.486Z`)
/// crosses the socket as that text, `ISO8601.parse` turns it into a `Date` a hair below .486 s, and
/// `ISO8601.string` (which truncates) writes it back as `.485Z`. The daemon writes the stored instant
/// (`.486Z`, what `verdant jobs --json` shows). So timestamps may differ by exactly 1 ms, the reference's
/// being the earlier; every other byte must be the same.
@Suite(.serialized) struct RenderedReportIdentityTests {
    /// The HTML header's "Generated <local time>." is the render time: the two paths render seconds apart.
    static func withoutGenerationTime(_ s: String) -> String {
        guard let a = s.range(of: "Generated "), let dot = s[a.upperBound...].firstIndex(of: ".") else { return s }
        return s.replacingCharacters(in: a.upperBound..<dot, with: "<time>")
    }

    /// Whether `fast` and `reference` are the same text but for fractional-second instants where the
    /// reference's is exactly 1 ms earlier (see above); `nil` when so, else the first difference.
    static func difference(_ fast: String, _ reference: String) -> String? {
        if fast == reference { return nil }
        let pattern = #/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/#
        func masked(_ s: String) -> (String, [String]) {
            (s.replacing(pattern, with: "<instant>"), s.matches(of: pattern).map { String($0.output) })
        }
        let (f, fi) = masked(fast), (r, ri) = masked(reference)
        guard f == r else {
            let fl = f.split(separator: "\n"), rl = r.split(separator: "\n")
            let k = (0..<min(fl.count, rl.count)).first { fl[$0] != rl[$0] } ?? min(fl.count, rl.count)
            return "line \(k + 1): \(k < fl.count ? String(fl[k].prefix(300)) : "(end)")\n  vs: \(k < rl.count ? String(rl[k].prefix(300)) : "(end)")"
        }
        for (a, b) in zip(fi, ri) where a != b {
            guard let da = ISO8601.parse(a), let db = ISO8601.parse(b), abs(da.timeIntervalSince(db) - 0.001) < 1e-4 else {
                return "instant \(a) vs \(b)"
            }
        }
        return nil
    }

    @Test func theDaemonsRenderingIsByteForByteTheClientsInEveryFormat() async throws {
        let state = temporaryDirectory("rendered-report")
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "3600", "--replay-start", "2020-06-10T00:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power",
            "--sample-interval", "0.2s", "--flush-interval", "1s"])
        for (name, kind) in [("ident-a", "batch"), ("ident-b", "training"), ("ident-c", "inference")] {
            let r = try daemon.cli(["submit", "--name", name, "--kind", kind, "--deadline", "2h", "--expected-duration", "2h", "--"]
                                   + ReportEndToEndTests.busyJob)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let done = try waitFor(90) { () -> [[String: Any]]? in
            let jobs = try daemon.json(["jobs"]) as? [[String: Any]] ?? []
            return jobs.count == 3 && jobs.allSatisfy { ($0["state"] as? String) == "succeeded" } ? jobs : nil
        }
        let jobs = try #require(done, "jobs did not finish; daemon log:\n\(daemon.daemonLog())")
        // A closed range in the daemon's past, so that later samples do not change the reports between the
        // two paths; zone rows and the HTML timeline can still change when a roll-up of that range runs
        // between them (sums of minute rows instead of raw ones), so each case gets three tries.
        let since = try #require(jobs.compactMap { date($0["submitted_at"]) }.min()).addingTimeInterval(-3600)
        let until = try #require(jobs.compactMap { date($0["ended_at"]) }.max()).addingTimeInterval(3600)
        let range = ["--since", ISO8601.string(since), "--until", ISO8601.string(until)]
        var compared = 0
        for by in ["job", "day", "week", "kind", "user", "zone"] {
            for format in ["table", "csv", "json", "html"] {
                var diff: String? = "not run"
                for _ in 0..<3 where diff != nil {
                    let fast = try daemon.cli(["report", "--by", by, "--format", format] + range)
                    let reference = try daemon.cli(["report", "--by", by, "--format", format, "--client-render"] + range)
                    #expect(fast.status == 0 && reference.status == 0, "\(fast.stderr) \(reference.stderr)")
                    diff = fast.stdout.isEmpty ? "empty output"
                        : Self.difference(Self.withoutGenerationTime(fast.stdout), Self.withoutGenerationTime(reference.stdout))
                }
                #expect(diff == nil, "--by \(by) --format \(format): the daemon's rendering differs from the client's: \(diff ?? "")")
                compared += 1
            }
        }
        #expect(compared == 24)
        // Real content: the by-job CSV lists the three jobs and a total, at the instants `verdant jobs
        // --json` shows for them.
        let csv = try daemon.cli(["report", "--format", "csv"] + range).stdout.split(separator: "\n")
        #expect(csv.count == 5 && csv.last?.hasPrefix("TOTAL") == true)
        let header = csv[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let (ki, si, ei) = (try #require(header.firstIndex(of: "key")), try #require(header.firstIndex(of: "started_at")),
                            try #require(header.firstIndex(of: "ended_at")))
        for line in csv.dropFirst().dropLast() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let job = try #require(jobs.first { "\($0["id"] ?? "")" == cells[ki] }, "no job \(cells[ki])")
            // `verdant jobs` may show a running job's in-memory instant (sub-millisecond) truncated: within 1 ms.
            for (cell, key) in [(cells[si], "started_at"), (cells[ei], "ended_at")] {
                let shown = try #require(date(job[key])), written = try #require(ISO8601.parse(cell))
                #expect(abs(shown.timeIntervalSince(written)) <= 0.0011, "\(key): \(cell) vs \(job[key] ?? "")")
            }
        }

        // Written to a file (--output): the same bytes as the reference written to a file.
        let a = state.appendingPathComponent("fast.json").path, b = state.appendingPathComponent("ref.json").path
        #expect(try daemon.cli(["report", "--format", "json", "--output", a] + range).status == 0)
        #expect(try daemon.cli(["report", "--format", "json", "--client-render", "--output", b] + range).status == 0)
        #expect(Self.difference(try String(contentsOfFile: a, encoding: .utf8), try String(contentsOfFile: b, encoding: .utf8)) == nil)

        // A client in another time zone: the daemon declines HTML (its header shows local times) and
        // verdant renders it itself, in its own zone.
        let tokyo = ProcessInfo.processInfo.environment.merging(["TZ": "Asia/Tokyo"]) { _, new in new }
        let args = ["report", "--state-dir", state.path, "--format", "html"] + range
        let fast = try runTool("verdant", args, environment: tokyo)
        let reference = try runTool("verdant", args + ["--client-render"], environment: tokyo)
        #expect(fast.status == 0, "\(fast.stderr)")
        #expect(fast.stdout.contains(" JST"))
        #expect(Self.withoutGenerationTime(fast.stdout) == Self.withoutGenerationTime(reference.stdout))
        #expect(daemon.terminate() == 0)
    }
}
