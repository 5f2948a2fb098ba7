import Foundation
import Testing

/// `verdant simulate --replan --min-replan-saving X%` (docs/cli.md): the churn threshold is taken and
/// shown, and a value outside [0, 1) is refused with the fix.
@Suite struct SimulateReplanThresholdTests {
    /// A trace of 30-min slots from 2020-06-01 00:00: 100 g/kWh except 01:00–01:30 at 50; one 30-min job
    /// of 1 kW submitted at 00:00 with deadline 02:00. Returns the two files, in a new temporary folder.
    static func oneJobScenario(_ name: String) throws -> (trace: URL, jobs: URL) {
        let dir = temporaryDirectory(name)
        let trace = dir.appendingPathComponent("trace.csv"), jobs = dir.appendingPathComponent("jobs.csv")
        let values = [100, 100, 50, 100, 100, 100, 100, 100]
        try ("time,DE\n" + values.enumerated().map { i, v in String(format: "2020-06-01 %02d:%02d:00,%d", i / 2, 30 * (i % 2), v) }.joined(separator: "\n") + "\n")
            .write(to: trace, atomically: true, encoding: .utf8)
        try "job_id,submit_utc,duration_minutes,deadline_utc,power_watts\nj1,2020-06-01T00:00:00Z,30,2020-06-01T02:00:00Z,1000\n"
            .write(to: jobs, atomically: true, encoding: .utf8)
        return (trace, jobs)
    }

    @Test func theThresholdIsTakenAndABadOneRefused() throws {
        let (trace, jobs) = try Self.oneJobScenario("simulate-min-replan-saving")
        let json = try runTool("verdant", ["simulate", "--trace", trace.path, "--jobs", jobs.path, "--replan", "--min-replan-saving", "1%", "--json"])
        #expect(json.status == 0, "\(json.stderr)")
        let r = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        // Run now: 0.5 kWh × 100 = 50 g; the plan (oracle forecast): 01:00, 0.5 kWh × 50 = 25 g; a perfect
        // forecast never changes, so no re-plan moves the job.
        #expect(abs((r["run_now_carbon_g"] as? Double ?? 0) - 50) < 1e-9)
        #expect(abs((r["planned_carbon_g"] as? Double ?? 0) - 25) < 1e-9)
        #expect(r["replan_moves"] as? Int == 0)
        let text = try runTool("verdant", ["simulate", "--trace", trace.path, "--jobs", jobs.path, "--replan", "--min-replan-saving", "0.005"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("re-planned at every slot boundary (remaining, min-replan-saving 0.5 %)"), "\(text.stdout)")
        let bad = try runTool("verdant", ["simulate", "--trace", trace.path, "--jobs", jobs.path, "--replan", "--min-replan-saving", "150%"])
        #expect(bad.status == 64)
        #expect(bad.stderr.hasPrefix("Error: --min-replan-saving must be a fraction in [0, 1) or a percentage, got '150%': use e.g. --min-replan-saving 1%\n"), "\(bad.stderr)")
    }

    /// `--hedge -0.1` (a negative value after the flag) and `--forecast-decay` (docs/cli.md): taken and
    /// shown, or refused with the fix; the decay is ignored with a warning for a forecast it does not shape.
    @Test func aNegativeHedgeAndTheForecastDecayAreTakenOrRefused() throws {
        let (trace, jobs) = try Self.oneJobScenario("simulate-hedge-decay")
        let base = ["simulate", "--trace", trace.path, "--jobs", jobs.path]
        // The oracle has no interval, so the hedge changes nothing: still 25 g (01:00 at 50 g/kWh × 0.5 kWh).
        let hedged = try runTool("verdant", base + ["--hedge", "-0.1", "--forecast-decay", "36h"])
        #expect(hedged.status == 0, "\(hedged.stderr)")
        #expect(hedged.stdout.contains(", hedge -0.1\n"), "\(hedged.stdout)")
        let json = try runTool("verdant", base + ["--hedge", "-0.1", "--json"])
        let r = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(abs((r["planned_carbon_g"] as? Double ?? 0) - 25) < 1e-9)
        #expect(hedged.stderr.contains("--forecast-decay applies to --forecast model only; ignored with --forecast oracle"), "\(hedged.stderr)")
        let short = try runTool("verdant", base + ["--forecast-decay", "30m"])
        #expect(short.status == 64)
        #expect(short.stderr.hasPrefix("Error: --forecast-decay must be a duration from 1h to 14d, got '30m': use e.g. --forecast-decay 36h\n"), "\(short.stderr)")
        let wide = try runTool("verdant", base + ["--hedge", "-1.5"])
        #expect(wide.status == 64)
        #expect(wide.stderr.hasPrefix("Error: --hedge must be between -1 and 1 (-100% and 100%), got '-1.5'"), "\(wide.stderr)")
        // A percentage, as a policy's planner.hedge takes it: -10% is -0.1.
        let percent = try runTool("verdant", base + ["--hedge=-10%"])
        #expect(percent.status == 0, "\(percent.stderr)")
        #expect(percent.stdout.contains(", hedge -0.1\n"), "\(percent.stdout)")
        let word = try runTool("verdant", base + ["--hedge", "half"])
        #expect(word.status == 64)
        #expect(word.stderr.hasPrefix("Error: --hedge must be between -1 and 1 (-100% and 100%), got 'half'"), "\(word.stderr)")
    }
}
