import Foundation
import Testing
import VerdantCore
@testable import VerdantSensors

/// The online power model driven through a fake powercap tree, /proc/stat and cpufreq folder in a temp
/// folder, replaying the EPYC 8024P load profile (Fixtures/codecarbon-cpu-load-profiling): each 30 s
/// step becomes a 10 s interval with the step's mean RAPL power, load and frequency.
@Suite struct LearnedPowerModelTests {
    let cpus = 16   // EPYC 8024P: 8 cores, 16 threads (cores_used 16 in the all_cores file)

    struct Tree {
        let root: URL
        var powercap: String { root.appendingPathComponent("powercap").path }
        var proc: String { root.appendingPathComponent("proc").path }
        var cpufreq: String { root.appendingPathComponent("cpufreq").path }
        func write(_ rel: String, _ text: String) throws {
            let url = root.appendingPathComponent(rel)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }
    }

    func makeTree() throws -> Tree {
        let t = Tree(root: FileManager.default.temporaryDirectory.appendingPathComponent("verdant-learn-\(UUID().uuidString)"))
        try t.write("powercap/intel-rapl:0/name", "package-0\n")
        try t.write("powercap/intel-rapl:0/max_energy_range_uj", "262143328850\n")
        try t.write("powercap/intel-rapl:0/energy_uj", "0\n")
        try t.write("proc/cpuinfo", "vendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 8024P 8-Core Processor\n")
        try t.write("cpufreq/policy0/cpuinfo_max_freq", "3000000\n")
        try t.write("cpufreq/policy0/scaling_cur_freq", "1500000\n")
        try setState(t, energyMicrojoules: 0, busyTicks: 0, idleTicks: 0, kHz: 1_500_000)
        return t
    }

    func setState(_ t: Tree, energyMicrojoules: UInt64, busyTicks: UInt64, idleTicks: UInt64, kHz: UInt64) throws {
        try t.write("powercap/intel-rapl:0/energy_uj", "\(energyMicrojoules)\n")
        var stat = "cpu  \(busyTicks) 0 0 \(idleTicks) 0 0 0 0 0 0\n"
        for i in 0..<cpus { stat += "cpu\(i) 0 0 0 0 0 0 0 0 0 0\n" }
        try t.write("proc/stat", stat)
        try t.write("cpufreq/policy0/scaling_cur_freq", "\(kHz)\n")
    }

    @Test func learnsFromCountersAndEstimatesWhenTheyBecomeUnreadable() throws {
        let steps = try #require(try loadProfiles().first { $0.label == "AMD_EPYC_8024P_8C" }).steps
        let t = try makeTree()
        defer { try? FileManager.default.removeItem(at: t.root) }
        let tdp = CPUPowerModel.tdpCurve(tdp: PowerWatts(90), label: "EPYC 8024P")
        let sensor = NodeSensor(powercapRoot: t.powercap, perfPowerRoot: nil, procRoot: t.proc, model: tdp, cpufreqRoot: t.cpufreq)
        #expect(sensor.energySource == .measured)
        #expect(sensor.profile.cpuVendorIsAMD)
        let hz = ProcStatReader(procRoot: t.proc).ticksPerSecond
        let fmaxMHz = steps.map(\.frequencyMHz).max()!
        try t.write("cpufreq/policy0/cpuinfo_max_freq", "\(UInt64(fmaxMHz * 1000))\n")
        let sensor2 = NodeSensor(powercapRoot: t.powercap, perfPowerRoot: nil, procRoot: t.proc, model: tdp, cpufreqRoot: t.cpufreq)

        var energy: UInt64 = 0, busy = 0.0, idle = 0.0
        func retimed(_ r: NodeReading, _ i: Int) -> NodeReading {
            NodeReading(monotonicNanos: UInt64(i) * 10_000_000_000, cpu: r.cpu, zones: r.zones,
                        frequencyRatio: r.frequencyRatio, countersUnreadable: r.countersUnreadable)
        }
        var previous = retimed(try sensor2.read(), 0)
        var learner = OnlinePowerModel()
        var fits: [CPUPowerModel] = []
        for (i, s) in steps.enumerated() {
            energy += UInt64((s.watts * 10 * 1e6).rounded())
            busy += s.utilisation * 10 * Double(cpus) * hz
            idle += (1 - s.utilisation) * 10 * Double(cpus) * hz
            try setState(t, energyMicrojoules: energy, busyTicks: UInt64(busy.rounded()), idleTicks: UInt64(idle.rounded()),
                         kHz: UInt64(s.frequencyMHz * 1000))
            let now = retimed(try sensor2.read(), i + 1)
            let interval = NodeEnergyAccounting.interval(from: previous, to: now, model: tdp, profile: sensor2.profile, learned: learner.model)
            #expect(interval.source == .measured)
            #expect(abs(interval.energy!.joules - s.watts * 10) < 1e-3)
            #expect(abs(interval.frequencyRatio! - (s.frequencyMHz + (i == 0 ? 1500 : steps[i - 1].frequencyMHz)) / 2 / fmaxMHz) < 1e-3)
            if let m = learner.observe(interval) { fits.append(m) }
            previous = now
        }
        let model = try #require(learner.model)
        #expect(!fits.isEmpty && model.version == fits.count)
        print("learned \(model.name): idle \(model.idlePower.watts) W, dyn \(model.dynamicWatts) W, c \(model.exponent), k \(model.frequencyExponent), fit MAPE \((model.fitMAPE ?? 0) * 100) %")
        #expect((model.fitMAPE ?? 1) < 0.15)

        // The counter becomes unreadable (garbage in energy_uj) during a step at 50.3 % load, 2578 MHz,
        // whose recorded mean power is 49.33 W: the interval is estimated with the learned model.
        let step = steps[16]
        #expect(abs(step.utilisation - 0.503) < 1e-9)
        busy += step.utilisation * 10 * Double(cpus) * hz
        idle += (1 - step.utilisation) * 10 * Double(cpus) * hz
        try setState(t, energyMicrojoules: 0, busyTicks: UInt64(busy.rounded()), idleTicks: UInt64(idle.rounded()),
                     kHz: UInt64(step.frequencyMHz * 1000))
        try t.write("powercap/intel-rapl:0/energy_uj", "not a number\n")
        let broken = retimed(try sensor2.read(), steps.count + 1)
        #expect(broken.countersUnreadable && broken.zones.isEmpty)
        let gap = NodeEnergyAccounting.interval(from: previous, to: broken, model: tdp, profile: sensor2.profile, learned: model)
        #expect(gap.source == .estimated)
        let expected = model.power(utilisation: 0.503, frequencyRatio: gap.frequencyRatio).watts * 10
        #expect(abs(gap.energy!.joules - expected) < 0.5)
        #expect(abs(gap.energy!.joules - step.watts * 10) / (step.watts * 10) < 0.15)
        // Without a learned model the gap has no number (not 0, not the TDP guess).
        let unknown = NodeEnergyAccounting.interval(from: previous, to: broken, model: tdp, profile: sensor2.profile)
        #expect(unknown.source == .unavailable && unknown.energy == nil)
    }

    @Test func frequencyReaderSumsPoliciesAndIsAbsentWithoutCpufreq() throws {
        let t = try makeTree()
        defer { try? FileManager.default.removeItem(at: t.root) }
        try t.write("cpufreq/policy4/cpuinfo_max_freq", "1000000\n")
        try t.write("cpufreq/policy4/scaling_cur_freq", "1000000\n")
        let r = try #require(CPUFrequencyReader(root: t.cpufreq))
        #expect(r.policyCount == 2)
        // (1.5 + 1.0) GHz / (3.0 + 1.0) GHz = 0.625.
        #expect(abs((r.ratio() ?? 0) - 0.625) < 1e-12)
        #expect(CPUFrequencyReader(root: t.root.appendingPathComponent("none").path) == nil)
        // At most one policy read: every second of the two, policy0 only: 1.5 / 3.0.
        let one = try #require(CPUFrequencyReader(root: t.cpufreq, maximumPolicies: 1))
        #expect(one.policyCount == 1 && one.ratio() == 0.5)
    }
}
