import ArgumentParser
import Foundation
import VerdantCore

/// `verdant bench plan-one`: single-job decisions on an hourly weekly profile, the shape the PyPI
/// `carbon-aware-scheduler` (OfflineModel.best_week_start_point) can express, so that `scripts/bench`
/// can time both planners on the same input and compare their chosen starts (issue 11).
struct BenchPlanOne: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan-one",
        abstract: "Plan single jobs on an hourly weekly intensity profile; print each chosen start and the time per decision.",
        discussion: """
            --profile: a JSON array of 168 numbers, the intensity (gCO2eq/kWh) of each hour of a week, hour 0 = \
            the jobs' earliest start. The week repeats (the grid holds it twice), as carbon-aware-scheduler wraps \
            its week_data. --jobs: a JSON array of {"duration_h": H, "deadline_h": D} (whole hours, 1 ≤ H ≤ D ≤ 168). \
            Each decision is timed from scratch: a CarbonPlanner over the grid (no capacity limit, no hedge, \
            no duration uncertainty) and one add(). Output (--json): {"decisions": [{"duration_h", "deadline_h", \
            "start_h", "cost_g_h_per_kwh"}], "decision_us": {"median", "min", "max"}, "repeat"}; cost is the \
            sum of the hourly intensities the run covers (the quantity carbon-aware-scheduler minimises).

            Example: verdant bench plan-one --profile docs/examples/week-profile.json --jobs docs/examples/plan-one-jobs.json --repeat 5
            """)

    @Option(help: "JSON array of 168 hourly intensities (gCO2eq/kWh).") var profile: String
    @Option(help: "JSON array of {\"duration_h\", \"deadline_h\"}.") var jobs: String
    @Option(name: .customLong("repeat"), help: "Timed repetitions of every decision (default 200).") var repetitions = 200
    @Flag(help: "Print JSON.") var json = false

    struct JobSpec: Decodable {
        let duration_h: Int
        let deadline_h: Int
    }

    struct Decision: Encodable {
        let duration_h: Int
        let deadline_h: Int
        let start_h: Int
        let cost_g_h_per_kwh: Double
    }

    struct Timing: Encodable {
        let median: Double
        let min: Double
        let max: Double
    }

    struct Output: Encodable {
        let decisions: [Decision]
        let decision_us: Timing
        let `repeat`: Int
    }

    func run() throws {
        let week: [Double] = try Self.decode(profile, what: "--profile")
        guard week.count == 168, week.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw ValidationError("\(profile): expected a JSON array of 168 non-negative numbers (one per hour of a week), got \(week.count)")
        }
        let specs: [JobSpec] = try Self.decode(jobs, what: "--jobs")
        for (i, s) in specs.enumerated() where !(1...168).contains(s.duration_h) || !(s.duration_h...168).contains(s.deadline_h) {
            throw ValidationError("\(jobs): job \(i): need 1 ≤ duration_h ≤ deadline_h ≤ 168 (got \(s.duration_h), \(s.deadline_h))")
        }
        let origin = Date(timeIntervalSince1970: 1_704_067_200)   // any hour boundary: times are relative
        let grid = ForecastGrid(origin: origin, slotSeconds: 3600, intensityGramsPerKWh: (week + week).map { Optional($0) })
        let settings = PlannerSettings(marginSigmas: 0, minimumReplanSaving: 0, hedge: 0)
        func decide(_ s: JobSpec) -> SlotPlan {
            var planner = CarbonPlanner(grid: grid, settings: settings)
            return planner.add(PlannerJob(id: 1, earliestStart: origin, deadline: origin.addingTimeInterval(Double(s.deadline_h) * 3600),
                                          durationSeconds: Double(s.duration_h) * 3600, powerWatts: 1000))
        }
        let decisions = specs.map { s -> Decision in
            let p = decide(s)
            let start = Int((p.start.timeIntervalSince(origin) / 3600).rounded())
            let cost = (start..<(start + s.duration_h)).reduce(0.0) { $0 + week[$1 % 168] }
            return Decision(duration_h: s.duration_h, deadline_h: s.deadline_h, start_h: start, cost_g_h_per_kwh: cost)
        }
        // Time per decision: every job decided `repetitions` times; the mean over the jobs per repetition,
        // then median, min and max over the repetitions.
        let clock = ContinuousClock()
        var perDecision: [Double] = []
        var sink = 0.0
        for _ in 0..<max(1, repetitions) {
            let t = clock.measure { for s in specs { sink += decide(s).start.timeIntervalSince1970 } }
            perDecision.append(t.milliseconds * 1000 / Double(max(1, specs.count)))
        }
        if sink == 0 { print("") }   // keeps the timed work observable
        let sorted = perDecision.sorted()
        let timing = Timing(median: BenchStatistics.median(sorted), min: sorted.first!, max: sorted.last!)
        let out = Output(decisions: decisions, decision_us: timing, repeat: max(1, repetitions))
        if json {
            let e = JSONEncoder()
            e.outputFormatting = [.sortedKeys]
            print(String(decoding: try e.encode(out), as: UTF8.self))
        } else {
            for d in decisions { print("duration \(d.duration_h) h, deadline \(d.deadline_h) h: start +\(d.start_h) h (cost \(String(format: "%.1f", d.cost_g_h_per_kwh)))") }
            print(String(format: "time per decision: %.2f µs (median of %d; min %.2f, max %.2f)", timing.median, out.repeat, timing.min, timing.max))
        }
    }

    static func decode<T: Decodable>(_ path: String, what: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("\(what) \(path): cannot read the file")
        }
        do { return try JSONDecoder().decode(T.self, from: data) } catch {
            throw ValidationError("\(what) \(path): not the expected JSON (\(error))")
        }
    }
}

/// Order statistics for benchmark repetitions.
enum BenchStatistics {
    /// Median of an ascending array (mean of the two middle values for an even count).
    static func median(_ sorted: [Double]) -> Double {
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2
    }
}
