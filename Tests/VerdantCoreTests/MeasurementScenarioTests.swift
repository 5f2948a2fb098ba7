import Foundation
import Testing
@testable import VerdantCore

/// The scenarios of the energy-measurement issue, each with its values computed by hand.
@Suite struct MeasurementScenarioTests {
    let maxRange: UInt64 = 262_143_328_850

    func reading(_ id: String, _ name: String, _ uj: UInt64, max: UInt64? = nil) -> PowercapZoneReading {
        PowercapZoneReading(id: PowercapZoneID(directoryName: id)!, name: name, energyMicrojoules: uj,
                            maxEnergyRangeMicrojoules: max ?? maxRange)
    }

    func host(_ old: [PowercapZoneReading], _ new: [PowercapZoneReading], seconds: Double, amd: Bool = false,
              bound: [PowercapZoneID: PowerWatts] = [:]) -> (HostEnergy, [ZoneInterval]) {
        let zones = IntervalArithmetic.zoneIntervals(from: old, to: new, elapsedSeconds: seconds, maximumPower: bound)
        return (HostEnergyRule.hostEnergy(zones, cpuVendorIsAMD: amd), zones)
    }

    // 1. 262000000000 → 356671150 µJ in 10 s: (262143328850 − 262000000000) + 356671150 = 500000000 µJ.
    @Test func packageNearItsMaxWrapsToFiveHundredJoules() {
        let (h, zones) = host([reading("intel-rapl:0", "package-0", 262_000_000_000)],
                              [reading("intel-rapl:0", "package-0", 356_671_150)], seconds: 10)
        #expect(h.cpuPackage == EnergyJoules(500))
        #expect(zones[0].power == PowerWatts(50))
    }

    // 2. 1795 s apart, 400 W bound: one wrap takes 262143.32885 J / 400 W = 655.36 s, half is 327.68 s.
    @Test func aGapThatCouldHideASecondWrapIsUncertain() {
        let id = PowercapZoneID(directoryName: "intel-rapl:0")!
        let (h, zones) = host([reading("intel-rapl:0", "package-0", 100_000_000_000)],
                              [reading("intel-rapl:0", "package-0", 130_441_670_000)], seconds: 1795,
                              bound: [id: PowerWatts(400)])
        #expect(zones[0].status == .uncertain)
        #expect(zones[0].energy == nil)
        #expect(h.cpuPackage == nil)
        #expect(abs(IntervalArithmetic.longestSafeInterval(maxEnergyRangeMicrojoules: maxRange, maximumPower: PowerWatts(400)) - 327.679161) < 1e-5)
    }

    // 3. dram (max 65712999613) 65700000000 → 20000000: 12999613 + 20000000 = 32999613 µJ ≈ 33 J;
    //    package 100000000000 → 100500000000: 500 J. Host 533 J over 10 s = 53.3 W.
    @Test func onlyTheDramSubZoneWraps() {
        let (h, _) = host([reading("intel-rapl:0", "package-0", 100_000_000_000),
                           reading("intel-rapl:0:0", "dram", 65_700_000_000, max: 65_712_999_613)],
                          [reading("intel-rapl:0", "package-0", 100_500_000_000),
                           reading("intel-rapl:0:0", "dram", 20_000_000, max: 65_712_999_613)], seconds: 10)
        #expect(h.cpuPackage == EnergyJoules(500))
        #expect(h.dram == EnergyJoules(32.999613))
        #expect(abs(h.cpuTotal!.joules / 10 - 53.3) < 0.001)
    }

    // 4. Two AMD per-die zones of package 0 moving by 680 J each in 10 s: 68 W, not 136 W.
    @Test func amdDiesOfOnePackageCountOnce() {
        let (h, _) = host([reading("intel-rapl:0", "package-0-die-0", 1_000_000_000), reading("intel-rapl:1", "package-0-die-1", 1_000_000_000)],
                          [reading("intel-rapl:0", "package-0-die-0", 1_680_000_000), reading("intel-rapl:1", "package-0-die-1", 1_680_000_000)],
                          seconds: 10, amd: true)
        #expect(h.cpuPackage == EnergyJoules(680))
        #expect(h.dram == nil)   // no dram zone is not an error
        #expect(h.status == .ok)
        // Single-die AMD: package 400 J with a child core 250 J: 40 W.
        let (single, _) = host([reading("intel-rapl:0", "package-0", 0), reading("intel-rapl:0:0", "core", 0)],
                               [reading("intel-rapl:0", "package-0", 400_000_000), reading("intel-rapl:0:0", "core", 250_000_000)],
                               seconds: 10, amd: true)
        #expect(single.cpuPackage!.joules / 10 == 40)
    }

    // 5. package 39.3 J (core 8.4, uncore 2.1), psys 96.1 J, the same package via MMIO 37.8 J, 10 s:
    //    CPU package 3.93 W (the MSR zone, by the rule), platform 9.61 W on its own.
    @Test func psysAndMmioAreNeverAddedToThePackage() {
        let old = [reading("intel-rapl:0", "package-0", 0), reading("intel-rapl:0:0", "core", 0),
                   reading("intel-rapl:0:1", "uncore", 0), reading("intel-rapl:1", "psys", 0),
                   reading("intel-rapl-mmio:0", "package-0", 0)]
        let new = [reading("intel-rapl:0", "package-0", 39_300_000), reading("intel-rapl:0:0", "core", 8_400_000),
                   reading("intel-rapl:0:1", "uncore", 2_100_000), reading("intel-rapl:1", "psys", 96_100_000),
                   reading("intel-rapl-mmio:0", "package-0", 37_800_000)]
        let (h, _) = host(old, new, seconds: 10)
        #expect(abs(h.cpuPackage!.joules / 10 - 3.93) < 1e-12)
        #expect(abs(h.platform!.joules / 10 - 9.61) < 1e-12)
        #expect(h.cpuTotal == h.cpuPackage)
        // MMIO alone (no MSR zone): the MMIO zone is the package.
        let (mmio, _) = host([reading("intel-rapl-mmio:0", "package-0", 0)], [reading("intel-rapl-mmio:0", "package-0", 37_800_000)], seconds: 10)
        #expect(abs(mmio.cpuPackage!.joules / 10 - 3.78) < 1e-12)
    }

    // 6. Intervals come from the monotonic clock: wall-clock steps cannot make them negative.
    //    Two monotonic seconds, 60 J each: 30 W, 30 W.
    @Test func wallClockStepsNeverProduceNegativeOrSpikingPower() {
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "m")
        let cpu = CPUTimes(busySeconds: 0, idleSeconds: 0, cpuCount: 1)
        let r = [0, 60_000_000, 120_000_000].map { uj in [reading("intel-rapl:0", "package-0", UInt64(uj))] }
        let n = [0, 2, 4].enumerated().map { i, s in
            NodeReading(monotonicNanos: UInt64(s) * 1_000_000_000, cpu: cpu, zones: r[i])
        }
        for k in 0..<2 {
            let (e, source) = NodeEnergyAccounting.energy(from: n[k], to: n[k + 1], model: model)
            #expect(source == .measured)
            #expect(e.joules / n[k + 1].seconds(since: n[k]) == 30)
        }
        // A reading "before" the previous one on the monotonic clock cannot happen; if it did, the
        // interval is 0 s, not negative.
        #expect(n[0].seconds(since: n[1]) == 0)
        #expect(IntervalArithmetic.power(EnergyJoules(1), 0.005) == nil)   // < 10 ms: energy, no power
    }

    // 7. 292 J over 10 s with 18 W idle; CPU A 6 s, B 3 s, system 1 s.
    @Test func attributionSplitsIdleJobsAndSystemAndConserves() {
        let s = Attribution.split(node: EnergyJoules(292), elapsedSeconds: 10, idlePower: PowerWatts(18),
                                  jobCPUSeconds: [1: 6, 2: 3], nodeBusyCPUSeconds: 10)
        #expect(abs(s.jobs[1]!.joules - 67.2) < 1e-9)
        #expect(abs(s.jobs[2]!.joules - 33.6) < 1e-9)
        #expect(abs(s.system.joules - 11.2) < 1e-9)
        #expect(s.idle == EnergyJoules(180))
        #expect(abs(s.total.joules - 292) < 1e-9)
        // Jobs that report more CPU than /proc/stat saw never exceed the node.
        let over = Attribution.split(node: EnergyJoules(100), elapsedSeconds: 10, idlePower: PowerWatts(0),
                                     jobCPUSeconds: [1: 8, 2: 4], nodeBusyCPUSeconds: 10)
        #expect(abs(over.total.joules - 100) < 1e-9)
        #expect(over.system.joules >= -1e-9)
    }

    // 8. Sampler reads at 0 and 10 s; the job reads at its start (3 s) and end (6 s):
    //    2090000000 → 2240000000 µJ = 150 J over its life.
    @Test func aShortJobBetweenTicksGetsItsOwnReadings() {
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "m")
        let cpu = CPUTimes(busySeconds: 0, idleSeconds: 0, cpuCount: 1)
        let at = { (s: UInt64, uj: UInt64) in
            NodeReading(monotonicNanos: s * 1_000_000_000, cpu: cpu, zones: [self.reading("intel-rapl:0", "package-0", uj)])
        }
        let start = at(3, 2_090_000_000), end = at(6, 2_240_000_000)
        #expect(NodeEnergyAccounting.energy(from: start, to: end, model: model).energy == EnergyJoules(150))
    }

    // 9. cgroup CPU accounting files.
    @Test func cgroupCPUTimeParses() {
        #expect(CgroupCPUStat.secondsFromV1Usage("5771997191964\n") == 5771.997191964)
        let v2 = "usage_usec 8210530646\nuser_usec 5555530859\nsystem_usec 2654999787\nnr_periods 0\n"
        #expect(CgroupCPUStat.secondsFromV2CPUStat(v2) == 8210.530646)
        #expect(CgroupCPUStat.secondsFromV2CPUStat("user_usec 5\n") == nil)
        #expect(CgroupCPUStat.secondsFromV1Usage("") == nil)
    }
}
