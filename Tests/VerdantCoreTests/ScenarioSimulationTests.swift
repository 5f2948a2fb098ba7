import Foundation
import Testing
@testable import VerdantCore

/// The Let's Wait Awhile replay on the repository's own data: June 2020 of the German trace
/// (Sources/VerdantDaemon/Resources/traces, see PROVENANCE.md) and the 244 jobs of
/// docs/examples/lwa-ml-jobs-2020.csv whose submission and deadline lie in June.
@Suite struct ScenarioSimulationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func june() throws -> (ScenarioSimulation, [ScenarioJob]) {
        let traceText = try String(contentsOf: Self.root.appendingPathComponent("Sources/VerdantDaemon/Resources/traces/de-2020-06_entsoe_15min.csv"), encoding: .utf8)
        let points = try IntensityTraceCSV.parse(traceText).points
        let origin = ISO8601.parse("2020-06-01T00:00:00Z")!
        let slots = SlotResampling.slotMeans(points, origin: origin, slotSeconds: 1800, count: 1440)
        let sim = ScenarioSimulation(trace: slots, origin: origin, slotSeconds: 1800)
        let jobsText = try String(contentsOf: Self.root.appendingPathComponent("docs/examples/lwa-ml-jobs-2020.csv"), encoding: .utf8)
        let jobs = try ScenarioJobsCSV.parse(jobsText).filter(sim.covers)
        return (sim, jobs)
    }

    // Expected values from an independent NumPy reimplementation (argmin of the sliding-window sum,
    // stable argsort of the slots), carbon in g: run-now 3,179,490.681; non-interruptible
    // 2,973,850.433 (6.4677 %); interruptible 2,919,345.425 (8.1820 %).
    @Test func perfectForecastMatchesAnIndependentReimplementation() throws {
        let (sim, jobs) = try june()
        #expect(jobs.count == 244)
        #expect(jobs.first?.name == "ml-1462" && jobs.last?.name == "ml-1709")
        let r = sim.run(jobs: jobs, interruptible: false, forecast: sim.oracleForecast)
        #expect(abs(r.runNowCarbonGrams - 3_179_490.681169261) < 1e-3)
        #expect(abs(r.plannedCarbonGrams - 2_973_850.433181682) < 1e-3)
        #expect(abs(r.savingsPct - 6.4677103539097285) < 1e-6)
        #expect(r.oracleCarbonGrams == r.plannedCarbonGrams)
        #expect(r.deadlineMisses == 0)
        let i = sim.run(jobs: jobs, interruptible: true, forecast: sim.oracleForecast)
        #expect(abs(i.plannedCarbonGrams - 2_919_345.425064824) < 1e-3)
        #expect(abs(i.savingsPct - 8.181978882503548) < 1e-6)
        #expect(i.deadlineMisses == 0)
    }

    @Test func noisyForecastSavesLessThanTheOracleAndIsReproducible() throws {
        let (sim, jobs) = try june()
        let a = sim.run(jobs: jobs, interruptible: true, forecast: sim.noisyForecast(fraction: 0.05, seed: 7))
        let b = sim.run(jobs: jobs, interruptible: true, forecast: sim.noisyForecast(fraction: 0.05, seed: 7))
        #expect(a == ScenarioSimulation.withoutTiming(b, like: a))
        #expect(a.savingsPct < a.oracleSavingsPct)
        #expect(a.savingsPct > 0)
    }

    @Test func aDayWithoutTheProviderMissesNoDeadline() throws {
        var (sim, jobs) = try june()
        sim.outage = 20 * 48..<21 * 48   // 2020-06-21, all day
        let hit = jobs.filter { sim.outage!.contains(sim.slot(of: $0.submittedAt)) }
        for inter in [false, true] {
            let r = sim.run(jobs: jobs, interruptible: inter, forecast: sim.oracleForecast)
            #expect(r.deadlineMisses == 0)
            #expect(r.savingsPct < r.oracleSavingsPct || hit.isEmpty)
        }
        // The outage is a Sunday: move it to Monday 22 June, when jobs are submitted.
        sim.outage = 21 * 48..<22 * 48
        #expect(!jobs.filter { sim.outage!.contains(sim.slot(of: $0.submittedAt)) }.isEmpty)
        let r = sim.run(jobs: jobs, interruptible: false, forecast: sim.oracleForecast)
        #expect(r.deadlineMisses == 0)
        #expect(r.savingsPct < r.oracleSavingsPct)
    }

    @Test func scenarioErrorsNameTheLineAndField() {
        let header = "job_id,submit_utc,duration_minutes,deadline_utc,power_watts\n"
        #expect(throws: ScenarioParseError(line: 3, field: "duration_minutes", message: "'-5' is not a positive number")) {
            try ScenarioJobsCSV.parse(header + "a,2020-01-01T09:30:00Z,60,2020-01-02T09:00:00Z,10\nb,2020-01-01T09:30:00Z,-5,2020-01-02T09:00:00Z,10\n")
        }
        #expect(throws: ScenarioParseError.self) {
            try ScenarioJobsCSV.parse(header + "a,2020-01-01T09:30:00Z,600,2020-01-01T10:00:00Z,10\n")
        }
        do {
            _ = try ScenarioJobsCSV.parse(header + "a,yesterday,60,2020-01-02T09:00:00Z,10\n")
            Issue.record("expected an error")
        } catch let e as ScenarioParseError {
            #expect(e.line == 2 && e.field == "submit_utc")
        } catch { Issue.record("\(error)") }
        // Energy instead of power: 2 kWh over 4 h is 500 W; interruptible column read.
        let jobs = try? ScenarioJobsCSV.parse("name,submit,duration_h,deadline,energy_kwh,interruptible\nx,2020-01-01T00:00:00Z,4,2020-01-01T08:00:00Z,2,yes\n")
        #expect(jobs?.first?.powerWatts == 500)
        #expect(jobs?.first?.interruptible == true)
    }

    @Test func hourlyPointsFillBothHalfHoursAndGapsStayGaps() {
        let t0 = ISO8601.parse("2022-01-01T00:00:00Z")!
        let pts = [0, 1, 2, 5].map { IntensityPoint(time: t0.addingTimeInterval(Double($0) * 3600), intensity: IntensityGramsPerKWh(Double(100 + $0))) }
        let s = SlotResampling.slotMeans(pts, origin: t0, slotSeconds: 1800, count: 12)
        #expect(s == [100, 100, 101, 101, 102, 102, nil, nil, nil, nil, 105, 105])
        #expect(SlotResampling.interpolated([nil, 10, nil, nil, 40, nil]) == [10, 10, 20, 30, 40, 40])
    }

    @Test func weekShiftKeepsWeekdays() {
        let first = ISO8601.parse("2020-01-01T09:30:00Z")!   // a Wednesday
        let start = ISO8601.parse("2022-01-01T00:00:00Z")!
        let s = ScenarioReplay.weekShiftSeconds(firstSubmission: first, traceStart: start, traceEnd: start.addingTimeInterval(365 * 86400))
        #expect(s == 105 * 7 * 86400)   // 2022-01-05, a Wednesday
        #expect(ScenarioReplay.weekShiftSeconds(firstSubmission: start, traceStart: start, traceEnd: start.addingTimeInterval(1)) == 0)
    }
}

extension ScenarioSimulation {
    /// `b` with `a`'s planning time (the only field that differs between identical runs).
    static func withoutTiming(_ b: SimulationResult, like a: SimulationResult) -> SimulationResult {
        var c = b
        c.planningSeconds = a.planningSeconds
        return c
    }
}
