import Foundation
import Testing
@testable import VerdantCore

/// Estimated intervals: the node's busy time is at least the jobs' cgroup CPU time, so a job shorter
/// than one /proc/stat tick (10 ms) still gets a share of the dynamic energy (docs/measurement.md).
@Suite struct ShortJobAttributionTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    func node(_ seconds: Double, busy: Double, cpus: Int, zones: [PowercapZoneReading] = []) -> NodeReading {
        NodeReading(monotonicNanos: UInt64(seconds * 1e9), cpu: CPUTimes(busySeconds: busy, idleSeconds: 0, cpuCount: cpus), zones: zones)
    }

    @Test func aJobBetweenTwoBusyTicksIsChargedItsDynamicEnergy() {
        // 10 W idle, 90 W max, 2 CPUs; 1 s in which /proc/stat saw no busy tick and the job's cgroup
        // counted 17 ms. Busy = max(0, 0.017) = 0.017 CPU-s, u = 0.017 / (1 s × 2) = 0.0085,
        // P = 10 + 80 × 0.0085 = 10.68 W, E = 10.68 J; idle 10 J; the job gets all 0.68 J dynamic.
        let model = CPUPowerModel(idlePower: PowerWatts(10), maxPower: PowerWatts(90), name: "test")
        let a = node(5, busy: 100, cpus: 2), b = node(6, busy: 100, cpus: 2)
        let series = IntensitySeries(points: [], fallback: IntensityGramsPerKWh(360))
        let i = Attribution.interval(from: JobReading(node: a, time: t0, jobCPUSeconds: 0.5),
                                     to: JobReading(node: b, time: t0.addingTimeInterval(1), jobCPUSeconds: 0.517),
                                     model: model, series: series)
        #expect(i.source == .estimated)
        #expect(abs(i.energy.joules - 0.68) < 1e-9)
        // 0.68 J = 0.68 / 3.6e6 kWh × 360 g/kWh = 6.8e-5 g.
        #expect(abs(i.carbon.grams - 6.8e-5) < 1e-15)
        // The node's estimate over the same interval with the same floor, and its split, add up.
        let n = NodeEnergyAccounting.interval(from: a, to: b, model: model, jobsCPUSeconds: 0.017)
        #expect(abs(n.busyCPUSeconds - 0.017) < 1e-12)
        #expect(abs(n.utilisation - 0.0085) < 1e-12)
        #expect(abs(n.energy!.joules - 10.68) < 1e-9)
        let s = Attribution.split(node: n.energy!, elapsedSeconds: n.seconds, idlePower: model.idlePower,
                                  jobCPUSeconds: [7: 0.017], nodeBusyCPUSeconds: n.busyCPUSeconds)
        #expect(abs(s.jobs[7]!.joules - 0.68) < 1e-9)
        #expect(abs(s.system.joules) < 1e-9)
        #expect(s.idle == EnergyJoules(10))
        #expect(abs(s.total.joules - 10.68) < 1e-9)
        // Without the floor (the old behaviour) the interval was pure idle: 10 J, 0 J for the job.
        #expect(NodeEnergyAccounting.interval(from: a, to: b, model: model).energy == EnergyJoules(10))
    }

    @Test func severalShortJobsShareTheEstimateAndItAddsUp() {
        // 0 W idle, 100 W max, 1 CPU, 0.5 s; /proc/stat saw nothing; A 6 ms, B 2 ms of cgroup CPU.
        // Busy 0.008 CPU-s, u = 0.016, P = 1.6 W, E = 0.8 J: A 0.6 J, B 0.2 J, system 0 J.
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(100), name: "test")
        let n = NodeEnergyAccounting.interval(from: node(0, busy: 3, cpus: 1), to: node(0.5, busy: 3, cpus: 1), model: model,
                                              jobsCPUSeconds: 0.008)
        #expect(abs(n.energy!.joules - 0.8) < 1e-12)
        let s = Attribution.split(node: n.energy!, elapsedSeconds: n.seconds, idlePower: model.idlePower,
                                  jobCPUSeconds: [1: 0.006, 2: 0.002], nodeBusyCPUSeconds: n.busyCPUSeconds)
        #expect(abs(s.jobs[1]!.joules - 0.6) < 1e-12)
        #expect(abs(s.jobs[2]!.joules - 0.2) < 1e-12)
        #expect(abs(s.system.joules) < 1e-12)
        #expect(abs(s.total.joules - 0.8) <= 0.005 * 0.8)
    }

    @Test func aBusierProcStatIsKeptAndTheRestGoesToSystem() {
        // /proc/stat saw 2 ticks (20 ms) in 1 s on 1 CPU, the job 5 ms: busy stays 0.02 (the floor is
        // lower); P = 100 × 0.02 = 2 W, E = 2 J; job 0.005 / 0.02 × 2 = 0.5 J, system 1.5 J.
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(100), name: "test")
        let n = NodeEnergyAccounting.interval(from: node(0, busy: 3, cpus: 1), to: node(1, busy: 3.02, cpus: 1), model: model,
                                              jobsCPUSeconds: 0.005)
        #expect(abs(n.busyCPUSeconds - 0.02) < 1e-12)
        #expect(abs(n.energy!.joules - 2) < 1e-9)
        let s = Attribution.split(node: n.energy!, elapsedSeconds: n.seconds, idlePower: model.idlePower,
                                  jobCPUSeconds: [1: 0.005], nodeBusyCPUSeconds: n.busyCPUSeconds)
        #expect(abs(s.jobs[1]!.joules - 0.5) < 1e-9)
        #expect(abs(s.system.joules - 1.5) < 1e-9)
    }

    @Test func measuredEnergyIsNotChangedByTheFloor() {
        // Counters: 100 J over 10 s whatever the jobs' CPU time; only the busy time (and u) moves.
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(100), name: "test")
        let z = { (uj: UInt64) in [PowercapZoneReading(id: PowercapZoneID(directoryName: "intel-rapl:0")!, name: "package-0",
                                                       energyMicrojoules: uj, maxEnergyRangeMicrojoules: 262_143_328_850)] }
        let n = NodeEnergyAccounting.interval(from: node(0, busy: 3, cpus: 2, zones: z(1_000_000)),
                                              to: node(10, busy: 3, cpus: 2, zones: z(101_000_000)), model: model, jobsCPUSeconds: 0.01)
        #expect(n.source == .measured)
        #expect(n.energy == EnergyJoules(100))
        #expect(abs(n.busyCPUSeconds - 0.01) < 1e-12)
        #expect(abs(n.utilisation - 0.0005) < 1e-12)
    }
}
