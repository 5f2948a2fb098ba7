import Foundation
import Testing
@testable import VerdantCore

/// `ScenarioSimulation.runReplanning` (`verdant simulate --replan`): the daemon's re-planning at every
/// slot boundary, on hand-built traces whose carbon is computed by hand, and a property over random
/// forecasts (no deadline broken, never better than the perfect-forecast optimum).
@Suite struct ScenarioReplanningTests {
    static let origin = ISO8601.parse("2020-06-01T00:00:00Z")!
    static let slot = 1800.0

    /// A 24 h trace of 200 g/kWh with `changes` (slot → value).
    static func trace(_ changes: [Int: Double]) -> [Double?] {
        (0..<48).map { changes[$0] ?? 200 }
    }

    /// A forecast that says `early` (absolute slot → value, else 200) from origins before `correctedFrom`,
    /// and the trace itself from then on.
    static func forecast(_ sim: ScenarioSimulation, early: [Int: Double], correctedFrom: Int) -> (Int, Int) -> SimulatedForecast {
        { s, h in
            SimulatedForecast(intensityGramsPerKWh: (s..<(s + h)).map { k in
                s < correctedFrom ? (early[k] ?? 200) : (k < sim.trace.count ? sim.trace[k] : nil)
            })
        }
    }

    /// 1 kW, submitted at 00:00, deadline 06:00 (12 slots), `slots` half-hours long.
    static func job(slots: Double, interruptible: Bool) -> ScenarioJob {
        ScenarioJob(name: "j", submittedAt: origin, durationSeconds: slots * slot, deadline: origin.addingTimeInterval(12 * slot),
                    powerWatts: 1000, interruptible: interruptible, line: 2)
    }

    // At submission the forecast shows 02:00 (slot 4) cheapest at 100 g/kWh; from 00:30 on it is
    // corrected to the truth: slot 4 is 150 and slot 8 (04:00) is 50. The plan made at submission costs
    // 150 g/kWh × 0.5 kWh = 75 g; re-planned at 00:30 the job moves to 04:00 (25 g ≤ 75 g × 0.98) and
    // emits 50 × 0.5 = 25 g. Run now: 200 × 0.5 = 100 g.
    @Test func aCorrectedForecastMovesTheJob() {
        let sim = ScenarioSimulation(trace: Self.trace([4: 150, 8: 50]), origin: Self.origin, slotSeconds: Self.slot)
        let f = Self.forecast(sim, early: [4: 100], correctedFrom: 1)
        let jobs = [Self.job(slots: 1, interruptible: false)]
        let once = sim.run(jobs: jobs, interruptible: false, forecast: f)
        #expect(abs(once.plannedCarbonGrams - 75) < 1e-9)
        let (r, figures) = sim.runReplanning(jobs: jobs, interruptible: false, horizonSlots: 12, forecast: f)
        #expect(abs(r.plannedCarbonGrams - 25) < 1e-9)
        #expect(abs(r.runNowCarbonGrams - 100) < 1e-9)
        #expect(abs(r.oracleCarbonGrams - 25) < 1e-9)
        #expect(abs(r.savingsPct - 75) < 1e-9)
        #expect(r.deadlineMisses == 0)
        #expect(figures.moves == 1)
        // One forecast per origin 00:00…03:30 (8): at 03:30 its start (04:00) comes by the next
        // boundary, so it starts there and is not re-planned again.
        #expect(figures.forecasts == 8)
    }

    // The correction makes 04:00 only 1 % cheaper (99 against 100 g/kWh): under the 2 % no-churn
    // threshold the job stays at 02:00 (100 × 0.5 = 50 g); with a threshold of 0 it moves (49.5 g).
    @Test func aChangeBelowTheChurnThresholdDoesNotMoveTheJob() {
        var sim = ScenarioSimulation(trace: Self.trace([4: 100, 8: 99]), origin: Self.origin, slotSeconds: Self.slot)
        let f = Self.forecast(sim, early: [4: 100], correctedFrom: 1)
        let jobs = [Self.job(slots: 1, interruptible: false)]
        let (kept, keptFigures) = sim.runReplanning(jobs: jobs, interruptible: false, horizonSlots: 12, forecast: f)
        #expect(abs(kept.plannedCarbonGrams - 50) < 1e-9)
        #expect(keptFigures.moves == 0)
        sim.settings.minimumReplanSaving = 0
        let (moved, movedFigures) = sim.runReplanning(jobs: jobs, interruptible: false, horizonSlots: 12, forecast: f)
        #expect(abs(moved.plannedCarbonGrams - 49.5) < 1e-9)
        #expect(movedFigures.moves == 1)
    }

    // An interruptible 2-slot job: up to 01:00 the forecast shows 01:00 and 01:30 at 100 g/kWh; from
    // 01:30 on it is the truth: 01:30 is 200 and 04:30 (slot 9) 50. It runs 01:00–01:30 (100 × 0.5 =
    // 50 g); at 01:30 its remaining slot moves to 04:30 (25 g): 75 g. Following the plan it had when it
    // started (`.queuedOnly`, the daemon today) it runs 01:30 too: 50 + 100 = 150 g.
    @Test func anInterruptibleJobReplansItsRemainingSlots() {
        let sim = ScenarioSimulation(trace: Self.trace([2: 100, 9: 50]), origin: Self.origin, slotSeconds: Self.slot)
        let f = Self.forecast(sim, early: [2: 100, 3: 100], correctedFrom: 3)
        let jobs = [Self.job(slots: 2, interruptible: true)]
        let (r, figures) = sim.runReplanning(jobs: jobs, interruptible: true, horizonSlots: 12, forecast: f)
        #expect(abs(r.plannedCarbonGrams - 75) < 1e-9)
        #expect(abs(r.oracleCarbonGrams - 75) < 1e-9)
        #expect(figures.moves == 1)
        #expect(r.deadlineMisses == 0)
        let (q, qFigures) = sim.runReplanning(jobs: jobs, interruptible: true, scope: .queuedOnly, horizonSlots: 12, forecast: f)
        #expect(abs(q.plannedCarbonGrams - 150) < 1e-9)
        #expect(qFigures.moves == 0)
    }

    // 60 random jobs (both kinds, unaligned submissions, slack 0–15 h, some with none) over a random
    // trace, re-planned at every slot on forecasts drawn afresh at every origin (the trace ± up to
    // 150 g/kWh, some slots missing): no deadline is ever broken (every job does all its work before
    // its deadline: work left counts as a miss), and the carbon is never below the perfect-forecast
    // optimum (the replay's schedules are feasible ones). With threshold 0 plans do move. Half the
    // rounds hedge optimistically (λ < 0), which must not break a deadline either.
    @Test func replanningOnRandomForecastsNeverBreaksADeadline() {
        var rng = SeededGenerator(seed: 6)
        let n = 600
        let trace: [Double?] = (0..<n).map { _ in Double(50 + rng.next() % 400) }
        for round in 0..<8 {
            var sim = ScenarioSimulation(trace: trace, origin: Self.origin, slotSeconds: Self.slot)
            sim.settings.minimumReplanSaving = round % 2 == 0 ? 0 : 0.02
            let jobs: [ScenarioJob] = (0..<60).map { i in
                let submit = Self.origin.addingTimeInterval(Double(rng.next() % 400) * Self.slot + Double(rng.next() % 1800))
                let d = Double(1 + rng.next() % 16) * Self.slot
                let slack = i % 7 == 0 ? 0 : Double(rng.next() % 30) * Self.slot
                return ScenarioJob(name: "r\(i)", submittedAt: submit, durationSeconds: d, deadline: submit.addingTimeInterval(d + slack),
                                   powerWatts: 500, interruptible: i % 2 == 0, line: i + 2)
            }
            // Rounds 2–3 and 6–7 hedge optimistically (λ = −0.5, −1; round 7 only while re-planning, its
            // first plans at λ = 0), on intervals whose upper half-width grows 2 g/kWh per slot ahead
            // plus 0–39 (a second generator, so the points are those of the λ = 0 rounds' draws).
            let hedge = [0, 0, -0.5, -0.5, 0, 0, -1, -1][round]
            sim.settings.hedge = hedge
            sim.settings.submissionHedge = round == 7 ? 0 : nil
            let box = NoiseBox(generator: SeededGenerator(seed: UInt64(100 + round)))
            let widthBox = NoiseBox(generator: SeededGenerator(seed: UInt64(200 + round)))
            let f: (Int, Int) -> SimulatedForecast = { s, h in
                let points: [Double?] = (s..<(s + h)).map { k in
                    guard k < trace.count, box.generator.next() % 20 != 0 else { return nil }
                    return max(0, trace[k]! + Double(Int(box.generator.next() % 301) - 150))
                }
                guard hedge != 0 else { return SimulatedForecast(intensityGramsPerKWh: points) }
                let upper: [Double?] = points.enumerated().map { j, v in
                    v.map { $0 + 2 * Double(j) + Double(widthBox.generator.next() % 40) }
                }
                return SimulatedForecast(intensityGramsPerKWh: points, upperGramsPerKWh: upper)
            }
            for scope in [ReplanScope.remainingWork, .queuedOnly] {
                let (r, figures) = sim.runReplanning(jobs: jobs, interruptible: false, scope: scope, horizonSlots: 80, forecast: f)
                #expect(r.deadlineMisses == 0, "round \(round)")
                #expect(r.jobs == 60)
                #expect(r.plannedCarbonGrams >= r.oracleCarbonGrams - 1e-6, "round \(round)")
                #expect(r.plannedCarbonGrams <= r.runNowCarbonGrams * 3)
                if sim.settings.minimumReplanSaving == 0 { #expect(figures.moves > 0) }
            }
        }
    }
}
