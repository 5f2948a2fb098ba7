import Foundation
import Testing
@testable import VerdantCore

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

/// Loads the CodeCarbon load-profile recordings staged in Fixtures (README.md there).
func loadProfiles() throws -> [PowerModelEvaluation.CPU] {
    let root = fixtures + "/codecarbon-cpu-load-profiling"
    let fm = FileManager.default
    return try fm.contentsOfDirectory(atPath: root).sorted().map { dir in
        var steps: [PowerModelEvaluation.Step] = []
        var name = ""
        for f in try fm.contentsOfDirectory(atPath: root + "/" + dir).sorted() where f.hasSuffix(".csv") {
            let p = try PowerModelEvaluation.parse(csv: String(contentsOfFile: root + "/" + dir + "/" + f, encoding: .utf8), file: f)
            name = p.modelName
            steps += p.steps
        }
        return PowerModelEvaluation.CPU(label: dir, modelName: name, steps: steps)
    }
}

/// TDPs of the five CPUs in CodeCarbon's cpu_power.csv (2026-04-13): EPYC 8024P 90 W, Threadripper
/// 1950X 180 W, Xeon E3-1240 v2 69 W, Xeon E5-2620 v3 85 W.
let profileTDP: [String: Double] = ["AMD_EPYC_8024P_8C": 90, "AMD_Threadripper": 180, "E3-1240": 69, "E5-1240": 69, "E5-2620": 85]

@Suite struct PowerModelEvaluationTests {
    @Test func parsesStepPowerFromEnergyOverDuration() throws {
        let cpus = try loadProfiles()
        #expect(cpus.count == 5)
        let epyc = try #require(cpus.first { $0.label == "AMD_EPYC_8024P_8C" })
        #expect(epyc.steps.count == 22)
        // all_cores, first step: rapl_energy 0.00015494… kWh over 30.5458 s.
        let first = epyc.steps[0]
        #expect(abs(first.utilisation - 0.006) < 1e-12)
        #expect(abs(first.watts - 18.26) < 0.01)
    }

    @Test func leaveOneCPUOutHalvesTheBaselineErrorWithTheLearnedModel() throws {
        let results = PowerModelEvaluation.leaveOneOut(try loadProfiles()) { profileTDP[$0.label] }
        for r in results {
            print("eval-power \(r.label): baseline \(r.baselineMAPE * 100) tdp-curve \(r.tdpCurveMAPE * 100) learned \(r.learnedMAPE * 100)")
        }
        let baseline = Dictionary(uniqueKeysWithValues: results.map { ($0.label, $0.baselineMAPE * 100) })
        // TDP × load against the per-step mean power, computed independently (numpy) from the files.
        #expect(abs(baseline["AMD_EPYC_8024P_8C"]! - 50.3) < 0.05)
        #expect(abs(baseline["AMD_Threadripper"]! - 36.9) < 0.05)
        #expect(abs(baseline["E3-1240"]! - 45.1) < 0.05)
        #expect(abs(baseline["E5-1240"]! - 43.7) < 0.05)
        #expect(abs(baseline["E5-2620"]! - 43.9) < 0.05)
        for r in results { #expect(r.learnedMAPE <= r.baselineMAPE / 2, "\(r.label)") }
        // The figures in docs/measurement.md (same fit computed independently with numpy: 14.8, 7.8,
        // 15.5, 11.1, 8.1 % learned; 45.4, 41.4, 60.1, 42.6, 46.2 % TDP curve).
        let learned = Dictionary(uniqueKeysWithValues: results.map { ($0.label, $0.learnedMAPE * 100) })
        let curve = Dictionary(uniqueKeysWithValues: results.map { ($0.label, $0.tdpCurveMAPE * 100) })
        for (k, v) in ["AMD_EPYC_8024P_8C": 14.8, "AMD_Threadripper": 7.8, "E3-1240": 15.5, "E5-1240": 11.1, "E5-2620": 8.1] {
            #expect(abs(learned[k]! - v) < 0.05, "\(k)")
        }
        for (k, v) in ["AMD_EPYC_8024P_8C": 45.4, "AMD_Threadripper": 41.4, "E3-1240": 60.1, "E5-1240": 42.6, "E5-2620": 46.2] {
            #expect(abs(curve[k]! - v) < 0.05, "\(k)")
        }
    }

    @Test func tdpCurveConstantsMatchTheFitOnAllFiveCPUs() throws {
        let samples = try loadProfiles().flatMap { cpu in
            cpu.steps.map { PowerSample(utilisation: $0.utilisation, frequencyRatio: nil, watts: $0.watts / profileTDP[cpu.label]!) }
        }
        let m = try #require(PowerCurveFit.fit(samples, useFrequency: false))
        #expect(abs(m.idlePower.watts - CPUPowerModel.tdpCurveIdleFraction) < 0.00005)
        #expect(abs(m.dynamicWatts - CPUPowerModel.tdpCurveDynamicFraction) < 0.00005)
        #expect(abs(m.exponent - CPUPowerModel.tdpCurveExponent) < 1e-9)
    }
}
