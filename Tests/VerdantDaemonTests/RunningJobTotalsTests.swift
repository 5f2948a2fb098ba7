import Foundation
import Testing
import VerdantCore
import VerdantStore
@testable import VerdantDaemon

/// A running job keeps sums of its intervals, not the intervals (issue 10, bounded resources).
@Suite struct RunningJobTotalsTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func interval(_ from: Double, _ to: Double, _ joules: Double, _ source: EnergySource, _ g: Double) -> JobEnergyInterval {
        JobEnergyInterval(start: t0.addingTimeInterval(from), end: t0.addingTimeInterval(to), energy: EnergyJoules(joules),
                          source: source, cpuSeconds: 1, intensity: IntensityGramsPerKWh(g))
    }

    @Test func sumsSourcesAndSplitMatchTheIntervals() {
        // 36 kJ = 0.01 kWh at 300 g/kWh = 3 g; 72 kJ at 200 = 4 g; 0 J; 18 kJ at 100 = 0.5 g.
        let intervals = [interval(0, 10, 36_000, .measured, 300), interval(10, 20, 72_000, .estimated, 200),
                         interval(20, 25, 0, .unavailable, 300), interval(25, 30, 18_000, .measured, 100)]
        var t = RunningJobTotals()
        #expect(t.isEmpty)
        for i in intervals { t.add(i) }
        #expect(t.count == 4)
        #expect(t.energy.joules == 126_000)
        #expect(abs(t.carbon.grams - 7.5) < 1e-9)
        #expect(t.sources == [.measured, .estimated, .unavailable])
        #expect(t.combinedSource == .partial)
        #expect(t.measuredSeconds == 15)
        #expect(t.estimatedSeconds == 10)
        // A 40 s run: 5 s of unavailable interval plus 10 s covered by none.
        #expect(t.missingSeconds(runSeconds: 40) == 15)
        let record = JobEnergySummaryRecord(jobID: 1, intervals: intervals, runSeconds: 40, counterfactualCarbon: nil)
        #expect(record.measuredSeconds == t.measuredSeconds)
        #expect(record.estimatedSeconds == t.estimatedSeconds)
        #expect(record.missingSeconds == t.missingSeconds(runSeconds: 40))
        #expect(t.last?.start == t0.addingTimeInterval(25))
    }

    @Test func aDayAtTenHertzKeepsNoIntervals() {
        var t = RunningJobTotals()
        for k in 0..<864_000 { t.add(interval(Double(k) / 10, Double(k + 1) / 10, 1, k % 2 == 0 ? .measured : .estimated, 0)) }
        #expect(t.count == 864_000)
        #expect(t.energy.joules == 864_000)
        #expect(t.sources == [.measured, .estimated])
        #expect(abs(t.measuredSeconds - 43_200) < 1e-3)
    }
}
