import Foundation
import Testing
import VerdantCore

/// Re-planning the remaining work of a started interruptible job (`RunIntervalControl.remainingWork`,
/// `replaceRuns`), with `CarbonPlanner.replan`'s no-churn rule, as the daemon does it.
@Suite struct RunIntervalReplanningTests {
    let t0 = Date(timeIntervalSince1970: 1_590_969_600)   // 2020-06-01T00:00:00Z (a multiple of 300 s)
    func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }
    var twoRuns: [DateInterval] { [DateInterval(start: at(5), end: at(10)), DateInterval(start: at(15), end: at(20))] }

    @Test func frozenBetweenRunsItsWorkLeftIsTheNextRun() {
        var c = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5))
        c.didPause(at: at(10))
        let w = c.remainingWork(at: at(12), slotSeconds: 300)
        #expect(w.committedUntil == at(12))
        #expect(w.seconds == 300)
        #expect(w.previousRuns == [DateInterval(start: at(15), end: at(20))])
    }

    @Test func inARunTheRestOfTheSlotIsKept() {
        // 150 s into its first run at 00:07:30: kept to 00:10 (its end and the slot boundary), 150 s
        // more, so 300 s are left after it: the second run.
        let c = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5))
        let w = c.remainingWork(at: at(7.5), slotSeconds: 300)
        #expect(w.committedUntil == at(10))
        #expect(w.seconds == 300)
        #expect(w.previousRuns == [DateInterval(start: at(15), end: at(20))])
        // A 10-minute run [00:05, 00:15) seen at 00:07:30 on 5-minute slots: kept to the boundary 00:10.
        let long = RunIntervalControl(runs: [DateInterval(start: at(5), end: at(15))], expectedDurationSeconds: 600, startedAt: at(5))
        let l = long.remainingWork(at: at(7.5), slotSeconds: 300)
        #expect(l.committedUntil == at(10))
        #expect(l.seconds == 300)
        #expect(l.previousRuns == [DateInterval(start: at(10), end: at(15))])
    }

    @Test func theOldRunsAreCutOrStretchedToTheWorkLeft() {
        // Started 2 s late, paused on time: 298 s done, 302 s left; the old second run is stretched by 2 s.
        var late = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5).addingTimeInterval(2))
        late.didPause(at: at(10))
        #expect(late.remainingWork(at: at(12), slotSeconds: 300).previousRuns == [DateInterval(start: at(15), end: at(20).addingTimeInterval(2))])
        // Paused 3 s late: 303 s done, 297 left: cut by 3 s.
        var over = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5))
        over.didPause(at: at(10).addingTimeInterval(3))
        let w = over.remainingWork(at: at(12), slotSeconds: 300)
        #expect(w.seconds == 297)
        #expect(w.previousRuns == [DateInterval(start: at(15), end: at(20).addingTimeInterval(-3))])
        // More than a slot off (the job ran through a whole slot it should not have): no previous plan.
        var far = RunIntervalControl(runs: twoRuns + [DateInterval(start: at(25), end: at(30)), DateInterval(start: at(35), end: at(40))],
                                     expectedDurationSeconds: 600, startedAt: at(5))
        far.didPause(at: at(10))
        #expect(far.remainingWork(at: at(12), slotSeconds: 300).previousRuns == nil)   // 300 s left, 900 s of runs
        // Less than a slot too many: the last runs are dropped or cut (900 s expected: 300 s too many).
        var extra = RunIntervalControl(runs: twoRuns + [DateInterval(start: at(25), end: at(30)), DateInterval(start: at(35), end: at(40))],
                                       expectedDurationSeconds: 900, startedAt: at(5))
        extra.didPause(at: at(10))
        #expect(extra.remainingWork(at: at(12), slotSeconds: 300).previousRuns == [DateInterval(start: at(15), end: at(20)), DateInterval(start: at(25), end: at(30))])
    }

    @Test func replacingTheRunsKeepsTheHistoryAndMergesTouchingRuns() {
        var c = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5))
        c.replaceRuns(after: at(12), with: [DateInterval(start: at(25), end: at(30))])
        #expect(c.runs == [DateInterval(start: at(5), end: at(10)), DateInterval(start: at(25), end: at(30))])
        var d = RunIntervalControl(runs: [DateInterval(start: at(5), end: at(15))], expectedDurationSeconds: 600, startedAt: at(5))
        d.replaceRuns(after: at(10), with: [DateInterval(start: at(10), end: at(12)), DateInterval(start: at(20), end: at(23))])
        #expect(d.runs == [DateInterval(start: at(5), end: at(12)), DateInterval(start: at(20), end: at(23))])
    }

    @Test func aRestoredControlCountsTheRunsUpToNow() {
        let c = RunIntervalControl(restoring: twoRuns, expectedDurationSeconds: 600, startedAt: at(5), now: at(17))
        #expect(c.activeSeconds(at: at(17)) == 300 + 120)
        #expect(!c.isPaused)
        #expect(c.decide(at: at(17)) == .none)   // inside its second run
    }

    /// A frozen job with 300 s (0.003 kWh at 36 W) left, its next run 00:15–00:20. Forecast (5-minute
    /// slots from 00:00): 500 except 00:15 at 400 and 00:25 at `cheap`. Kept at 00:15: 0.003 × 400 = 1.2 g.
    /// 00:25 at 50: 0.15 g, moves; at 396 (1 % less): kept; at 390 (2.5 % less): moves (1.17 g).
    @Test(arguments: [(50.0, true, 0.15), (396.0, false, 1.2), (390.0, true, 1.17)])
    func theRemainingRunMovesOnlyAboveTheChurnThreshold(cheap: Double, moves: Bool, grams: Double) {
        var c = RunIntervalControl(runs: twoRuns, expectedDurationSeconds: 600, startedAt: at(5))
        c.didPause(at: at(10))
        let now = at(10).addingTimeInterval(1)
        var values: [Double?] = Array(repeating: 500, count: 12)
        values[3] = 400
        values[5] = cheap
        var planner = CarbonPlanner(grid: ForecastGrid(origin: t0, slotSeconds: 300, intensityGramsPerKWh: values),
                                    settings: PlannerSettings(marginSigmas: 0, minimumReplanSaving: 0.02))
        let w = c.remainingWork(at: now, slotSeconds: 300)
        let job = PlannerJob(id: 1, earliestStart: w.committedUntil, deadline: at(45), durationSeconds: w.seconds,
                             powerWatts: 36, interruptible: true)
        let plan = planner.replan([job], previous: [1: w.previousPlan(jobID: 1)!], minimumSavingDecided: [1])[0]
        let target = moves ? at(25) : at(15)
        #expect(plan.runs == [DateInterval(start: target, end: target.addingTimeInterval(300))])
        #expect(abs((plan.predictedCarbonGrams ?? -1) - grams) < 1e-9)
        c.replaceRuns(after: w.committedUntil, with: plan.runs)
        #expect(c.runs == [DateInterval(start: at(5), end: at(10)), DateInterval(start: target, end: target.addingTimeInterval(300))])
        // Frozen until the new run, thawed in it.
        #expect(c.decide(at: at(15).addingTimeInterval(1)) == (moves ? .none : .resume))
        #expect(c.decide(at: at(25).addingTimeInterval(1)) == .resume)
    }
}
