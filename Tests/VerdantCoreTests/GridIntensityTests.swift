import Foundation
import Testing
@testable import VerdantCore

@Suite struct GridIntensityTests {
    let t0 = ISO8601.parse("2024-03-01T00:00:00Z")!

    func hourly(_ values: [Double?], from start: Date? = nil) -> [IntensitySlot] {
        values.enumerated().map { i, v in
            IntensitySlot(zone: "DE", start: (start ?? t0).addingTimeInterval(Double(i) * 3600), durationSeconds: 3600,
                          value: v.map { IntensityGramsPerKWh($0) }, kind: .average, basis: .lifecycle, source: "electricitymaps")
        }
    }

    @Test func poundsPerMWhBecomeGramsPerKWhAndChargeOneKWh() {
        let i = IntensityGramsPerKWh(poundsPerMWh: 1000)
        #expect(abs(i.gramsPerKWh - 453.59237) < 1e-9)
        let g = CarbonGrams(energy: EnergyJoules(3_600_000), intensity: i)
        #expect(abs(g.grams - 453.59) < 0.005)
    }

    @Test func nullHourIsFilledWithTheMeanOfKnownHoursAndNeverChosen() throws {
        let s = IntensitySlotSeries(slots: hourly([355, 384, nil, 391]), fallback: IntensityGramsPerKWh(480))
        #expect(s.gaps == [IntensityGap(start: t0.addingTimeInterval(7200), end: t0.addingTimeInterval(10800), reason: "null-value")])
        let fill = try #require(s.fillValue(from: t0.addingTimeInterval(7200), to: t0.addingTimeInterval(10800)))
        #expect(abs(fill.gramsPerKWh - 376.6667) < 0.001)
        #expect(s.knownValue(at: t0.addingTimeInterval(7300)) == nil)
        #expect(!s.isFullyCovered(from: t0.addingTimeInterval(3600), to: t0.addingTimeInterval(10800)))
        // From hour 1 (384) with a 1 h job: the filled null hour (376.67) would look cleaner, but only
        // covered windows are candidates, so the job stays at 384 now rather than the missing hour.
        let now = t0.addingTimeInterval(3600)
        let p = try Planner.plan(now: now, deadline: t0.addingTimeInterval(4 * 3600), expectedDurationSeconds: 3600,
                                 expectedEnergy: EnergyJoules(3_600_000), slots: s)
        #expect(p.plan.plannedStart == now)
        #expect(p.plan.plannedIntensity == IntensityGramsPerKWh(384))
        #expect(p.filledSeconds == 0)
        // A job running through the null hour is charged the fill value there, and flagged.
        let series = s.filledSeries()
        let mean = series.meanIntensity(from: t0, to: t0.addingTimeInterval(4 * 3600)).gramsPerKWh
        #expect(abs(mean - (355 + 384 + 376.6667 + 391) / 4) < 0.001)
        #expect(s.filledSeconds(from: t0, to: t0.addingTimeInterval(4 * 3600)) == 3600)
        #expect(series.intensity(at: t0.addingTimeInterval(7200)).gramsPerKWh > 0)
    }

    @Test func holeBetweenSlotsIsAGap() {
        var slots = hourly([300, 310])
        slots.append(IntensitySlot(zone: "DE", start: t0.addingTimeInterval(4 * 3600), durationSeconds: 3600,
                                   value: IntensityGramsPerKWh(320), kind: .average, source: "x"))
        let s = IntensitySlotSeries(slots: slots, fallback: IntensityGramsPerKWh(480))
        #expect(s.gaps.map(\.reason) == ["missing-slot"])
        #expect(s.gaps.first?.durationSeconds == 7200)
        // The hole is charged the mean of the known hours within ±12 h: (300 + 310 + 320) / 3.
        #expect(s.filledSeries().intensity(at: t0.addingTimeInterval(3 * 3600)) == IntensityGramsPerKWh(310))
        #expect(s.filledSeries().intensity(at: t0.addingTimeInterval(5 * 3600)) == IntensityGramsPerKWh(480))
    }

    @Test func shortForecastOnlyOffersWindowsItCovers() throws {
        // A "48 h" forecast that stops after 31 half-hour points (15.5 h); the cleanest data is at the end.
        let slots = (0..<31).map { i in
            IntensitySlot(zone: "GB", start: t0.addingTimeInterval(Double(i) * 1800), durationSeconds: 1800,
                          value: IntensityGramsPerKWh(300 - Double(i) * 5), kind: .average, source: "uk-carbon-intensity", issuedAt: t0)
        }
        let s = IntensitySlotSeries(slots: slots, fallback: IntensityGramsPerKWh(10))   // static far below: must not lure
        let p = try Planner.plan(now: t0, deadline: t0.addingTimeInterval(48 * 3600), expectedDurationSeconds: 7200,
                                 expectedEnergy: EnergyJoules(3_600_000), slots: s)
        #expect(p.coveredByData)
        #expect(p.plan.plannedStart == t0.addingTimeInterval(15.5 * 3600 - 7200))
        #expect(abs(p.plan.plannedIntensity.gramsPerKWh - (300 - 5 * 28.5)) < 1e-9)
        // A job longer than the data: no covered window; it starts now, by its latest start.
        let long = try Planner.plan(now: t0, deadline: t0.addingTimeInterval(48 * 3600), expectedDurationSeconds: 20 * 3600,
                                    expectedEnergy: EnergyJoules(3_600_000), slots: s)
        #expect(!long.coveredByData)
        #expect(long.plan.plannedStart == t0)
        #expect(long.plan.plannedStart <= long.plan.latestStart)
        #expect(long.filledSeconds == 4.5 * 3600)
    }

    @Test func backoffDoublesToTheCapWithBoundedJitter() {
        let b = BackoffSchedule(baseSeconds: 30, capSeconds: 1800)
        #expect(b.delaySeconds(afterFailures: 0, jitter: 0.3) == 0)
        #expect(b.delaySeconds(afterFailures: 1, jitter: 1) == 30)
        #expect(b.delaySeconds(afterFailures: 1, jitter: 0) == 15)
        #expect(b.delaySeconds(afterFailures: 3, jitter: 1) == 120)
        #expect(b.delaySeconds(afterFailures: 7, jitter: 1) == 1800)
        #expect(b.delaySeconds(afterFailures: 50, jitter: 0.5) == 1350)
    }

    /// The planning grid carries the forecast's interval: per grid slot the time-weighted mean of the
    /// covering slots' upper bounds (a slot without one counts at its value), so the hedge can price it.
    @Test func planningGridAveragesTheForecastsUpperBound() {
        func slot(_ i: Int, _ v: Double?, upper: Double?) -> IntensitySlot {
            var s = IntensitySlot(zone: "DE", start: t0.addingTimeInterval(Double(i) * 1800), durationSeconds: 1800,
                                  value: v.map { IntensityGramsPerKWh($0) }, kind: .average, source: "forecaster", issuedAt: t0)
            s.upperGramsPerKWh = upper
            return s
        }
        // Half-hours: 100 (upper 120), 200 (upper 260), 100 (no upper: an actual), 200 (upper 260), none.
        let series = IntensitySlotSeries(slots: [slot(0, 100, upper: 120), slot(1, 200, upper: 260), slot(2, 100, upper: nil),
                                                 slot(3, 200, upper: 260), slot(4, nil, upper: 300)],
                                         fallback: IntensityGramsPerKWh(400))
        let g = ForecastGrid.covering(series, from: t0, to: t0.addingTimeInterval(3 * 3600), slotSeconds: 3600)
        #expect(g.intensityGramsPerKWh.count == 3)
        #expect(g.intensityGramsPerKWh[0] == 150 && g.intensityGramsPerKWh[1] == 150 && g.intensityGramsPerKWh[2] == nil)
        // (120 + 260) / 2 = 190; (100 + 260) / 2 = 180; no value, no bound.
        #expect(g.upperGramsPerKWh?[0] == 190)
        #expect(g.upperGramsPerKWh?[1] == 180)
        #expect(g.upperGramsPerKWh?[2] == nil)
        // Without any bound (a trace, a provider's forecast) the grid has no interval: the hedge is off.
        let plain = IntensitySlotSeries(slots: [slot(0, 100, upper: nil), slot(1, 200, upper: nil)], fallback: IntensityGramsPerKWh(400))
        #expect(ForecastGrid.covering(plain, from: t0, to: t0.addingTimeInterval(3600), slotSeconds: 3600).upperGramsPerKWh == nil)
        // A 15-minute grid inside one half-hour takes that half-hour's bound.
        let fine = ForecastGrid.covering(series, from: t0, to: t0.addingTimeInterval(3600), slotSeconds: 900)
        #expect(fine.upperGramsPerKWh == [120, 120, 260, 260])
    }
}
