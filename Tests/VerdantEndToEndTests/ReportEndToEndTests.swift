import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VerdantCore

/// `verdant report` in every format and `/metrics` against a real daemon running real jobs.
@Suite(.serialized) struct ReportEndToEndTests {
    static let busyJob = ["sh", "-c", "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; echo done"]

    @Test func reportsInEveryFormatAgreeAndMetricsAreServed() async throws {
        let state = temporaryDirectory("report-e2e")
        let port = Int.random(in: 20000...40000)
        let textfile = state.appendingPathComponent("verdant.prom").path
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "3600", "--replay-start", "2020-06-10T00:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power",
            "--sample-interval", "0.2s", "--flush-interval", "1s",
            "--metrics-address", "127.0.0.1:\(port)", "--metrics-textfile", textfile])
        // Deadline = expected duration: each must start at once.
        for name in ["rep-a", "rep-b"] {
            let r = try daemon.cli(["submit", "--name", name, "--kind", "batch", "--deadline", "2h", "--expected-duration", "2h", "--"] + Self.busyJob)
            #expect(r.status == 0, "\(r.stderr)")
        }
        let done = try waitFor(90) { () -> [[String: Any]]? in
            let jobs = try daemon.json(["jobs"]) as? [[String: Any]] ?? []
            return jobs.count == 2 && jobs.allSatisfy { ($0["state"] as? String) == "succeeded" } ? jobs : nil
        }
        let jobs = try #require(done, "jobs did not finish; daemon log:\n\(daemon.daemonLog())")
        let energies = jobs.compactMap { $0["energy_j"] as? Double }
        #expect(energies.count == 2)

        // JSON, by day: one day, totals = sums of rows = sums of the jobs.
        func reportJSON(_ args: [String]) throws -> [String: Any]? {
            let r = try daemon.cli(["report", "--format", "json"] + args)
            #expect(r.status == 0, "\(r.stderr)")
            return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        }
        let json = try #require(try reportJSON(["--by", "day"]))
        let rows = try #require(json["rows"] as? [[String: Any]])
        let total = try #require(json["total"] as? [String: Any])
        #expect(rows.count == 1)
        #expect(abs(try #require(total["energy_j"] as? Double) - energies.reduce(0, +)) < 1e-6)
        #expect(total["jobs"] as? Int == 2)
        // No RAPL here: the energy is estimated over the whole run.
        #expect(try #require(total["estimated_share"] as? Double) > 0.9)
        #expect(total["measured_share"] as? Double == 0)
        let cf = try #require(total["counterfactual_carbon_g"] as? Double)
        let carbon = try #require(total["carbon_g"] as? Double)
        #expect(abs(try #require(total["carbon_saved_g"] as? Double) - (cf - carbon)) < 1e-9)
        #expect(total["intensity_source"] as? String == "trace:de-2020-06_entsoe_15min.csv")
        let perJob = try #require(json["jobs"] as? [[String: Any]])
        #expect(perJob.allSatisfy { ($0["user"] as? String)?.isEmpty == false })

        // CSV: units in the header, one row per job and a TOTAL line equal to their sum.
        let csv = try daemon.cli(["report", "--format", "csv"])
        let lines = csv.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("key,name,kind,state,user,submitted_at,started_at,ended_at,energy_source,jobs,duration_s,energy_j,energy_kwh") == true)
        #expect(lines.count == 4)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let ei = try #require(header.firstIndex(of: "energy_j"))
        let cells = lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(cells.last?.first == "TOTAL")
        let rowSum = cells.dropLast().compactMap { Double($0[ei]) }.reduce(0, +)
        #expect(abs(try #require(Double(cells.last![ei])) - rowSum) < 1e-6 * max(1, rowSum))

        // Table: 80 columns.
        let table = try daemon.cli(["report", "--by", "kind"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("TOTAL"))
        for l in table.stdout.split(separator: "\n") { #expect(l.count <= 80, "too wide: \(l)") }

        // Zone rows come from the node's samples (the estimate here).
        let zones = try #require(try reportJSON(["--by", "zone"]))
        let zoneRows = try #require(zones["rows"] as? [[String: Any]])
        #expect(zoneRows.map { $0["key"] as? String } == ["cpu-estimate"])
        #expect(try #require(zoneRows.first?["energy_j"] as? Double) > 0)

        // HTML into the reports folder, then --latest finds it.
        let html = try daemon.cli(["report", "--format", "html", "--since", "7d", "--output", state.appendingPathComponent("reports").path + "/"])
        #expect(html.status == 0, "\(html.stderr)")
        let latest = try daemon.cli(["report", "--latest"])
        let path = latest.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(path.hasPrefix(state.appendingPathComponent("reports/verdant-report-").path) && path.hasSuffix(".html"))
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.contains("<dd id=\"total-jobs\">2</dd>"))
        #expect(page.contains("<svg id=\"chart-power\""))

        // /metrics on loopback TCP, and the textfile; promtool accepts both.
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        let metrics = String(decoding: data, as: UTF8.self)
        #expect(metrics.contains(#"verdant_node_energy_joules_total{zone="cpu-estimate",source="estimated"}"#))
        #expect(metrics.contains(#"verdant_jobs{state="succeeded"} 2.0"#))
        #expect(!metrics.contains("job_id="))       // no job runs: no per-job series
        #expect(metrics.contains("verdant_grid_intensity_grams_per_joule{zone=\"DE\""))
        let file: String? = try waitFor(20) { try? String(contentsOfFile: textfile, encoding: .utf8) }
        #expect(file?.contains("verdant_sampler_samples_total") == true)
        for promtool in ["/usr/bin/promtool"] where FileManager.default.isExecutableFile(atPath: promtool) {
            let dir = temporaryDirectory("prom")
            let f = dir.appendingPathComponent("m.prom")
            try metrics.write(to: f, atomically: true, encoding: .utf8)
            let r = try runProgram("/bin/sh", ["-c", "\(promtool) check metrics < \(f.path)"])
            #expect(r.status == 0, "promtool: \(r.stdout)\(r.stderr)")
        }
        #expect(daemon.terminate() == 0)
    }
}
