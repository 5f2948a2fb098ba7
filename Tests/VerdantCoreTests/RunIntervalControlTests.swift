import Foundation
import Testing
import VerdantCore

/// The pause/resume decisions of an interruptible job following its run intervals.
@Suite struct RunIntervalControlTests {
    let t0 = Date(timeIntervalSince1970: 1_590_969_600)   // 2020-06-01T00:00:00Z
    func at(_ minutes: Double) -> Date { t0.addingTimeInterval(minutes * 60) }

    @Test func pausesBetweenRunsAndResumesAtTheNextOne() {
        // 10 min of work in [0, 5) and [10, 15) min.
        var c = RunIntervalControl(runs: [DateInterval(start: at(0), end: at(5)), DateInterval(start: at(10), end: at(15))],
                                   expectedDurationSeconds: 600, startedAt: at(0), slackSeconds: 1)
        #expect(c.decide(at: at(2)) == .none)
        #expect(c.decide(at: at(5)) == .pause)          // 5 min done, 5 min left, [10, 15) holds it
        c.didPause(at: at(5))
        #expect(c.activeSeconds == 300)
        #expect(c.decide(at: at(7)) == .none)
        #expect(c.nextBoundary(after: at(7)) == at(10))
        #expect(c.decide(at: at(10)) == .resume)
        c.didResume(at: at(10))
        #expect(c.activeSeconds(at: at(12)) == 420)
        #expect(c.decide(at: at(15)) == .none)          // after the last run: never paused again
    }

    @Test func aLateStartRunsThroughInsteadOfPausing() {
        // Started 2 min late: at 5 min only 3 min are done, 7 left, but [10, 15) holds 5: no pause.
        let c = RunIntervalControl(runs: [DateInterval(start: at(0), end: at(5)), DateInterval(start: at(10), end: at(15))],
                                   expectedDurationSeconds: 600, startedAt: at(2), slackSeconds: 1)
        #expect(c.decide(at: at(5)) == .none)
        // Within the slack (1 s late) it still pauses.
        let d = RunIntervalControl(runs: [DateInterval(start: at(0), end: at(5)), DateInterval(start: at(10), end: at(15))],
                                   expectedDurationSeconds: 600, startedAt: at(0).addingTimeInterval(1), slackSeconds: 1)
        #expect(d.decide(at: at(5)) == .pause)
    }

    @Test func aPausedJobThatNoLongerFitsIsResumed() {
        // Paused at 5 min with 5 min left; the plan's second run is only 3 min long (a later re-plan
        // would never do this; a slow job can): it must be resumed at once.
        var c = RunIntervalControl(runs: [DateInterval(start: at(0), end: at(5)), DateInterval(start: at(10), end: at(15))],
                                   expectedDurationSeconds: 600, startedAt: at(0), slackSeconds: 1)
        c.didPause(at: at(5))
        #expect(c.decide(at: at(12.5)) == .resume)   // 5 min left, 2.5 min of runs left
    }

    @Test func gridFromATraceHasNoValueOutsideIt() {
        let s = IntensitySeries(points: [IntensityPoint(time: at(0), intensity: IntensityGramsPerKWh(100)),
                                         IntensityPoint(time: at(7.5), intensity: IntensityGramsPerKWh(300))],
                                fallback: IntensityGramsPerKWh(999), coverageEnd: at(15))
        let g = ForecastGrid.covering(s, from: at(1), to: at(20), slotSeconds: 300)
        #expect(g.origin == at(0))
        #expect(g.count == 4)
        // [0,5): 100; [5,10): half 100, half 300 = 200; [10,15): 300; [15,20): outside the trace.
        #expect(g.intensityGramsPerKWh[0] == 100)
        #expect(g.intensityGramsPerKWh[1] == 200)
        #expect(g.intensityGramsPerKWh[2] == 300)
        #expect(g.intensityGramsPerKWh[3] == nil)
    }
}
