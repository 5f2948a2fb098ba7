import Foundation
import Testing
import VerdantCore
@testable import VerdantDaemon

/// `verdant simulate --policy` (issue 6): every shipped policy, on June 2020 of the German trace with
/// the scenario's 244 June jobs and a working day without the provider, misses no deadline.
@Suite struct PolicySimulationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func everyShippedPolicyMissesNoDeadlineThroughADayWithoutTheProvider() throws {
        let traceText = try String(contentsOf: Self.root.appendingPathComponent("Sources/VerdantDaemon/Resources/traces/de-2020-06_entsoe_15min.csv"), encoding: .utf8)
        let points = try IntensityTraceCSV.parse(traceText).points
        let origin = ISO8601.parse("2020-06-01T00:00:00Z")!
        let slots = SlotResampling.slotMeans(points, origin: origin, slotSeconds: 1800, count: 1440)
        let jobsText = try String(contentsOf: Self.root.appendingPathComponent("docs/examples/lwa-ml-jobs-2020.csv"), encoding: .utf8)
        let probe = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: 1800)
        let jobs = try ScenarioJobsCSV.parse(jobsText).filter(probe.covers)
        #expect(jobs.count == 244)
        var savings: [String: Double] = [:]
        for name in PolicyFile.shippedNames {
            let policy = try PolicyFile.load(path: try PolicyFile.resolve(name)).policy
            var sim = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: 1800, settings: policy.planner)
            let training = policy.defaults(for: .training)
            sim.maxDelaySeconds = training.maxDelaySeconds
            sim.outage = 21 * 48..<22 * 48   // Monday 22 June 2020: jobs are submitted, no forecast all day
            let r = sim.run(jobs: jobs, interruptible: training.interruptible, forecast: sim.oracleForecast)
            #expect(r.deadlineMisses == 0, "policy \(name)")
            #expect(r.savingsPct < r.oracleSavingsPct, "policy \(name): the outage day costs some saving")
            savings[name] = r.savingsPct
        }
        // max-savings makes training interruptible (more saving than default's one start per job).
        #expect(try #require(savings["max-savings"]) > (try #require(savings["default"])))
        // A name that is neither a file nor shipped is refused, naming the shipped ones.
        #expect(throws: ConfigurationError.self) { _ = try PolicyFile.resolve("no-such-policy") }
    }
}
