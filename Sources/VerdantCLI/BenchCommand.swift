import ArgumentParser
import Foundation
import VerdantCore

/// `verdant bench`: benchmarks that print figures (never timed tests).
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks that print figures (docs/scheduling.md records them).",
        discussion: "Example: verdant bench plan --jobs 1000 --repeat 1",
        subcommands: [BenchPlan.self, BenchPlanOne.self])
}

/// `verdant bench plan`: the planner on a synthetic queue, for the targets of issue 6.
struct BenchPlan: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Plan N pending jobs over a forecast of D days at R-minute slots; time the full plan and one re-plan.",
        discussion: """
            Targets (issue 6): 10,000 jobs over 7 days at 5 min planned in under 100 ms, memory under 100 MB, \
            re-planning after one new job in under 5 ms. Jobs: seeded random earliest start in the first day, \
            duration 5 min to 3 h, deadline up to the end of the forecast, one job in five interruptible, \
            1–4 cores, 0–8 GiB, one in ten with a GPU; node: 1,024 cores, 4 TiB, 32 GPUs, 2,000 concurrent jobs \
            (about a fifth of its core-hours asked for, so the cheap hours fill up and capacity binds).
            
            Example: verdant bench plan --jobs 1000 --repeat 1
            """)

    @Option(help: "Pending jobs (default 10000).") var jobs = 10_000
    @Option(help: "Forecast length in days (default 7).") var days = 7.0
    @Option(name: .customLong("slot-minutes"), help: "Slot length (default 5).") var slotMinutes = 5
    @Option(name: .customLong("repeat"), help: "Repetitions; the median is reported (default 5).") var repetitions = 5
    @Option(help: "Seed (default 1).") var seed: UInt64 = 1
    @Flag(help: "Print JSON (plan_ms, replan_one_ms, peak_rss_mb, jobs, slots, capacity_bound, deadline_bound).") var json = false

    func run() throws {
        let slotSeconds = Double(slotMinutes * 60)
        let slots = Int(days * 86400 / slotSeconds)
        let origin = Date(timeIntervalSince1970: 1_700_000_000 - 1_700_000_000.truncatingRemainder(dividingBy: 86400))
        var g = SeededGenerator(seed: seed)
        // A daily cycle with noise, 100–500 g/kWh, and its upper bound.
        let values: [Double?] = (0..<slots).map { k in
            let hour = Double(k) * slotSeconds / 3600
            return 300 + 150 * sin(hour / 24 * 2 * .pi) + 50 * g.nextGaussian()
        }
        let grid = ForecastGrid(origin: origin, slotSeconds: slotSeconds, intensityGramsPerKWh: values,
                                upperGramsPerKWh: values.map { $0.map { $0 * 1.1 } })
        func randomJob(_ id: Int) -> PlannerJob {
            let e = origin.addingTimeInterval(Double(g.next() % 288) * 300)
            let d = Double(1 + g.next() % 36) * 300
            let horizon = grid.end.timeIntervalSince(e) - d
            let slack = Double(g.next() % UInt64(max(1, horizon))) 
            return PlannerJob(id: Int64(id), earliestStart: e, deadline: e.addingTimeInterval(d + slack), durationSeconds: d,
                              durationUncertaintySeconds: d * 0.1, powerWatts: Double(20 + g.next() % 300),
                              interruptible: g.next() % 5 == 0,
                              demand: JobDemand(cores: Double(1 + g.next() % 4), memoryBytes: Double(g.next() % 9) * 1_073_741_824,
                                                gpus: g.next() % 10 == 0 ? 1 : 0))
        }
        let queue = (0..<jobs).map(randomJob)
        let extra = randomJob(jobs)
        let capacity = NodeCapacity(cores: 1024, memoryBytes: 4 * 1_099_511_627_776, gpus: 32, maxConcurrentJobs: 2000)
        let clock = ContinuousClock()
        var planTimes: [Double] = [], addTimes: [Double] = []
        var last: [SlotPlan] = []
        for _ in 0..<max(1, repetitions) {
            var planner = CarbonPlanner(grid: grid, capacity: capacity, settings: PlannerSettings(hedge: 0.25))
            let t = clock.measure { last = planner.planAll(queue) }
            planTimes.append(t.milliseconds)
            let a = clock.measure { _ = planner.add(extra) }
            addTimes.append(a.milliseconds)
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let rssMB = Double(usage.ru_maxrss) / 1024   // Linux: kilobytes
        let median: ([Double]) -> Double = { $0.sorted()[$0.count / 2] }
        let capBound = last.filter { $0.reason == .capacityBound }.count
        let deadlineBound = last.filter { $0.reason == .deadlineBound }.count
        let over = last.filter(\.overCapacity).count
        if json {
            print(#"{"jobs":\#(jobs),"slots":\#(slots),"plan_ms":\#(median(planTimes)),"replan_one_ms":\#(median(addTimes)),"peak_rss_mb":\#(rssMB),"capacity_bound":\#(capBound),"deadline_bound":\#(deadlineBound),"over_capacity":\#(over)}"#)
        } else {
            print(String(format: "jobs %d, slots %d (%g days at %d min)\nfull plan:          %.1f ms (median of %d)\nre-plan, one job:   %.3f ms\npeak RSS:           %.1f MB\ncapacity-bound: %d, deadline-bound: %d, over capacity: %d",
                         jobs, slots, days, slotMinutes, median(planTimes), planTimes.count, median(addTimes), rssMB, capBound, deadlineBound, over))
        }
    }
}

extension Duration {
    var milliseconds: Double {
        let c = components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) * 1e-15
    }
}
