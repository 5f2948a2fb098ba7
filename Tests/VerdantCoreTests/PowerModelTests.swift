import Foundation
import Testing
@testable import VerdantCore

@Suite struct PowerModelTests {
    @Test func gaussianEliminationSolvesByValue() throws {
        // 2x + y = 5, x + 3y = 10 → x = 1, y = 3.
        let x = try #require(PowerCurveFit.gaussianSolve([[2, 1], [1, 3]], [5, 10]))
        #expect(abs(x[0] - 1) < 1e-12 && abs(x[1] - 3) < 1e-12)
        #expect(PowerCurveFit.gaussianSolve([[1, 2], [2, 4]], [1, 2]) == nil)   // singular
    }

    @Test func curveGivesPowerByValue() {
        let m = CPUPowerModel(idlePower: PowerWatts(20), dynamicWatts: 60, exponent: 0.5, frequencyExponent: 2, name: "t")
        // u = 0.25, q = 0.8: 20 + 60 × 0.5 × 0.64 = 39.2 W.
        #expect(abs(m.power(utilisation: 0.25, frequencyRatio: 0.8).watts - 39.2) < 1e-9)
        // 10 s with 4 CPUs and 10 busy CPU-s: u = 0.25, q unknown (1): 20 + 30 = 50 W → 500 J.
        #expect(abs(m.energy(elapsedSeconds: 10, busyCPUSeconds: 10, cpuCount: 4).joules - 500) < 1e-9)
        // The linear model is unchanged: 0 W idle, 85 W max, half busy → 42.5 W.
        let lin = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "lin")
        #expect(abs(lin.energy(elapsedSeconds: 2, busyCPUSeconds: 4, cpuCount: 4).joules - 85) < 1e-9)
        // TDP curve at 100 W, full load: 100 × (0.1004 + 0.7289) = 82.93 W; idle 10.04 W.
        let tdp = CPUPowerModel.tdpCurve(tdp: PowerWatts(100), label: "x")
        #expect(abs(tdp.power(utilisation: 1).watts - 82.93) < 1e-9)
        #expect(abs(tdp.power(utilisation: 0).watts - 10.04) < 1e-9)
    }

    @Test func fitRecoversAKnownCurve() throws {
        // P = 20 + 60 u^0.75 q^2, sampled on a grid: the fit finds it exactly.
        var s: [PowerSample] = []
        for u in stride(from: 0.0, through: 1.0, by: 0.1) {
            for q in [0.5, 0.8, 1.0] {
                s.append(PowerSample(utilisation: u, frequencyRatio: q, watts: 20 + 60 * CPUPowerModel.pow(u, 0.75) * q * q))
            }
        }
        let m = try #require(PowerCurveFit.fit(s))
        #expect(abs(m.exponent - 0.75) < 1e-9)
        #expect(abs(m.idlePower.watts - 20) < 1e-6)
        #expect(abs(m.dynamicWatts - 60) < 1e-6)
        #expect(m.frequencyExponent == 2)
        #expect((m.fitMAPE ?? 1) < 1e-9)
        // Without frequency ratios the term is dropped.
        let noFreq = try #require(PowerCurveFit.fit(s.map { PowerSample(utilisation: $0.utilisation, frequencyRatio: nil, watts: $0.watts) }))
        #expect(noFreq.frequencyExponent == 0)
        // One utilisation only: not determined.
        #expect(PowerCurveFit.fit(Array(repeating: PowerSample(utilisation: 0.3, frequencyRatio: nil, watts: 30), count: 10)) == nil)
    }

    @Test func onlineModelFitsThenRecalibratesWhenItsErrorExceedsTheThreshold() throws {
        var learner = OnlinePowerModel(recalibrationThreshold: 0.15, window: 5)
        // Host A: P = 10 + 40u. The first fit comes with the 4th sample.
        let us = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        var fitted: CPUPowerModel?
        for (i, u) in us.enumerated() {
            if let m = learner.observe(PowerSample(utilisation: u, frequencyRatio: nil, watts: 10 + 40 * u)) {
                #expect(i == 3)
                fitted = m
            }
        }
        let v1 = try #require(fitted)
        #expect(v1.version == 1 && v1.name == "learned-cpu-v1")
        #expect(abs(v1.power(utilisation: 0.5).watts - 30) < 1e-6)
        // Load behaves differently now (P = 20 + 80u, twice A): the error on the new samples is 50 %,
        // above 15 %, so after 5 of them the model is refitted (version 2) on the kept samples.
        var v2: CPUPowerModel?
        for u in [0.1, 0.3, 0.5, 0.7, 0.9] {
            if let m = learner.observe(PowerSample(utilisation: u, frequencyRatio: nil, watts: 20 + 80 * u)) { v2 = m }
        }
        let m2 = try #require(v2)
        #expect(m2.version == 2)
        // Within the threshold: no refit.
        var learner2 = OnlinePowerModel(model: v1, recalibrationThreshold: 0.15, window: 5)
        for u in [0.1, 0.3, 0.5, 0.7, 0.9] {
            #expect(learner2.observe(PowerSample(utilisation: u, frequencyRatio: nil, watts: (10 + 40 * u) * 1.05)) == nil)
        }
        // |P − 1.05 P| / (1.05 P) = 0.05 / 1.05 = 4.76 % on each.
        #expect(abs((learner2.rollingError ?? 0) - 0.05 / 1.05) < 1e-6)
    }

    private func reading(_ t: Double, busy: Double, zones: [PowercapZoneReading], unreadable: Bool = false) -> NodeReading {
        NodeReading(monotonicNanos: UInt64(t * 1e9), cpu: CPUTimes(busySeconds: busy, idleSeconds: 0, cpuCount: 4),
                    zones: zones, countersUnreadable: unreadable)
    }

    @Test func counterGapIsEstimatedOnlyWithTheModelLearnedHere() {
        let pkg = PowercapZoneID(directoryName: "intel-rapl:0")!
        let z0 = [PowercapZoneReading(id: pkg, name: "package-0", energyMicrojoules: 1_000_000, maxEnergyRangeMicrojoules: 262_143_328_850)]
        let tdp = CPUPowerModel.tdpCurve(tdp: PowerWatts(100), label: "t")
        let learned = CPUPowerModel(idlePower: PowerWatts(10), dynamicWatts: 40, exponent: 1, frequencyExponent: 0, name: "learned-cpu-v3", version: 3)
        // 10 s, 4 CPUs, 20 busy CPU-s: u = 0.5. The end reading could not read the counter.
        let a = reading(0, busy: 0, zones: z0), b = reading(10, busy: 20, zones: [], unreadable: true)
        let without = NodeEnergyAccounting.interval(from: a, to: b, model: tdp)
        #expect(without.source == .unavailable && without.energy == nil)
        let with = NodeEnergyAccounting.interval(from: a, to: b, model: tdp, learned: learned)
        #expect(with.source == .estimated)
        #expect(abs((with.energy?.joules ?? 0) - 300) < 1e-9)   // (10 + 40 × 0.5) W × 10 s
        // A node without counters uses the TDP curve: 100 × (0.1004 + 0.7289 × 0.5^1.05) W × 10 s.
        let none = NodeEnergyAccounting.interval(from: reading(0, busy: 0, zones: []), to: reading(10, busy: 20, zones: []), model: tdp)
        #expect(none.source == .estimated)
        #expect(abs((none.energy?.joules ?? 0) - 10 * 100 * (0.1004 + 0.7289 * exp(1.05 * log(0.5)))) < 1e-9)
        // Both readings with counters: measured, 5 J over 10 s, and u comes with the interval.
        let z1 = [PowercapZoneReading(id: pkg, name: "package-0", energyMicrojoules: 6_000_000, maxEnergyRangeMicrojoules: 262_143_328_850)]
        let measured = NodeEnergyAccounting.interval(from: a, to: reading(10, busy: 20, zones: z1), model: tdp, learned: learned)
        #expect(measured.source == .measured && measured.energy == EnergyJoules(5))
        #expect(abs(measured.utilisation - 0.5) < 1e-12)
    }

    @Test func attributionIdleIsTheLearnedFloorOrNotATDPGuess() {
        let tdp = CPUPowerModel.tdpCurve(tdp: PowerWatts(100), label: "t")
        let lin = CPUPowerModel(idlePower: PowerWatts(18), maxPower: PowerWatts(85), name: "linear-cpu-v1 configured 85 W")
        let learned = CPUPowerModel(idlePower: PowerWatts(12), dynamicWatts: 40, exponent: 1, frequencyExponent: 0, name: "learned-cpu-v1")
        #expect(CPUPowerModel.attributionIdlePower(source: .measured, learned: learned, model: tdp) == PowerWatts(12))
        #expect(CPUPowerModel.attributionIdlePower(source: .measured, learned: nil, model: tdp) == PowerWatts(0))
        #expect(abs(CPUPowerModel.attributionIdlePower(source: .estimated, learned: nil, model: tdp).watts - 10.04) < 1e-9)
        #expect(CPUPowerModel.attributionIdlePower(source: .measured, learned: nil, model: lin) == PowerWatts(18))
    }

    @Test func combinedSourceIsHonest() {
        #expect(EnergySource.combined([.measured, .measured]) == .measured)
        #expect(EnergySource.combined([.measured, .estimated]) == .estimated)
        #expect(EnergySource.combined([.measured, .unavailable]) == .partial)
        #expect(EnergySource.combined([.estimated, .unavailable, .measured]) == .partial)
        #expect(EnergySource.combined([.unavailable, .unavailable]) == .unavailable)
        #expect(EnergySource.combined([]) == .unavailable)
        #expect(EnergySource.combined([.measured, .notMeasured]) == .notMeasured)
        #expect(EnergySource.notMeasured.rawValue == "not_measured")
        #expect(!EnergySource.partial.hasValue && EnergySource.estimated.hasValue)
    }
}
