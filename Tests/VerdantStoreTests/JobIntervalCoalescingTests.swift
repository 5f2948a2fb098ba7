import Foundation
import Testing
import VerdantCore
@testable import VerdantStore

/// Back-to-back intervals of a job become one row at the flush (`JobIntervalRecord.coalesced`).
@Suite struct JobIntervalCoalescingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func r(_ job: Int64, _ from: Double, _ to: Double, _ joules: Double, _ source: EnergySource, _ g: Double, cpu: Double = 1) -> JobIntervalRecord {
        JobIntervalRecord(jobID: job, interval: JobEnergyInterval(start: t0.addingTimeInterval(from), end: t0.addingTimeInterval(to),
                                                                  energy: EnergyJoules(joules), source: source, cpuSeconds: cpu,
                                                                  intensity: IntensityGramsPerKWh(g)))
    }

    @Test func mergesBackToBackIntervalsOfAJobAndKeepsTheSums() {
        let out = JobIntervalRecord.coalesced([
            r(1, 0, 1, 10, .estimated, 300, cpu: 0.5), r(2, 0, 1, 5, .estimated, 300),
            r(1, 1, 2, 30, .estimated, 100, cpu: 0.25), r(2, 1, 2, 0, .unavailable, 300),
            r(1, 3, 4, 7, .estimated, 200),                                   // a gap: a new row
            r(3, 0, 1, 0, .unavailable, 100), r(3, 1, 3, 0, .unavailable, 400),
        ])
        #expect(out.count == 5)
        // Job 1: [0, 2], 40 J, 0.75 CPU-s; carbon 10 J × 300 + 30 J × 100 = 6000 J·g/kWh = 6000 / 3.6e6 g;
        // intensity 6000 / 40 = 150 g/kWh.
        #expect(out[0].jobID == 1 && out[0].startAt == t0 && out[0].endAt == t0.addingTimeInterval(2))
        #expect(out[0].energy == EnergyJoules(40))
        #expect(out[0].cpuSeconds == 0.75)
        #expect(abs(out[0].carbon.grams - 6000 / 3.6e6) < 1e-15)
        #expect(abs(out[0].intensity.gramsPerKWh - 150) < 1e-9)
        // Job 2: the source changes, so two rows.
        #expect(out[1].jobID == 2 && out[1].source == .estimated && out[1].energy == EnergyJoules(5))
        #expect(out[2].jobID == 2 && out[2].source == .unavailable)
        // Job 1's row after the gap stays on its own.
        #expect(out[3].jobID == 1 && out[3].startAt == t0.addingTimeInterval(3) && out[3].energy == EnergyJoules(7))
        // Job 3: no energy, so the intensity is the time-weighted mean (100 × 1 + 400 × 2) / 3 = 300.
        #expect(out[4].jobID == 3 && out[4].endAt == t0.addingTimeInterval(3))
        #expect(abs(out[4].intensity.gramsPerKWh - 300) < 1e-9)
        // Nothing is lost: energy, carbon and seconds per source add up to the input's.
        #expect(out.map(\.energy.joules).reduce(0, +) == 52)
    }
}
