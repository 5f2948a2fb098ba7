import Foundation
import Logging
import Testing
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Declared job memory (`verdant submit --memory 3G`, issue 6): parsed, stored in `jobs.memory_bytes`,
/// shown as `memory_bytes`, and counted by the planner against the node's `capacity-memory-gib`.
@Suite(.serialized) struct JobMemoryTests {
    static let gib = 1_073_741_824.0
    let origin = ISO8601.parse("2024-03-04T10:00:00Z")!
    let me = Caller(uid: getuid(), gid: getgid(), pid: getpid())

    /// Every instant where a run starts or ends (the load is constant between them): memory in use.
    func peakMemory(_ plans: [SlotPlan], _ memory: [Int64: Double]) -> Double {
        let edges = Set(plans.flatMap { $0.runs.flatMap { [$0.start, $0.end] } })
        return edges.map { t in
            plans.filter { p in p.runs.contains { $0.start <= t && t < $0.end } }.reduce(0) { $0 + memory[$1.jobID]! }
        }.max() ?? 0
    }

    @Test func threeThreeGiBJobsOnAnEightGiBNodeNeverExceedEightGiB() {
        // The cheapest 2 h (slots 20–23) draws all three; only two fit at once in 8 GiB (6 GiB), never three (9).
        let values: [Double] = (0..<48).map { (20..<24).contains($0) ? 50 : 300 }
        let grid = ForecastGrid(origin: origin, slotSeconds: 1800, intensityGramsPerKWh: values)
        let capacity = NodeCapacity(cores: .infinity, memoryBytes: 8 * Self.gib, gpus: 0, maxConcurrentJobs: 10)
        var planner = CarbonPlanner(grid: grid, capacity: capacity)
        let jobs = (1...3).map {
            PlannerJob(id: Int64($0), earliestStart: origin, deadline: origin.addingTimeInterval(24 * 3600),
                       durationSeconds: 2 * 3600, powerWatts: 200, demand: JobDemand(cores: 1, memoryBytes: 3 * Self.gib))
        }
        let plans = planner.planAll(jobs)
        #expect(peakMemory(plans, [1: 3 * Self.gib, 2: 3 * Self.gib, 3: 3 * Self.gib]) == 6 * Self.gib)
        #expect(plans.filter { $0.start == origin.addingTimeInterval(10 * 3600) }.count == 2)
        #expect(plans.filter { $0.reason == .capacityBound }.count == 1)
        #expect(plans.allSatisfy { !$0.overCapacity && $0.start <= $0.latestStart })
        // Without the memory limit all three take the cheap window.
        var free = CarbonPlanner(grid: grid)
        #expect(free.planAll(jobs).allSatisfy { $0.start == origin.addingTimeInterval(10 * 3600) })
    }

    @Test func memorySyntax() {
        #expect(BatchResources.mebibytes(parsing: "3G") == 3072)
        #expect(BatchResources.mebibytes(parsing: "500m") == 500)
        #expect(BatchResources.mebibytes(parsing: "512") == 512)
        #expect(BatchResources.mebibytes(parsing: "1T") == 1_048_576)
        #expect(BatchResources.mebibytes(parsing: "3GB") == nil)
        #expect(BatchResources.mebibytes(parsing: "-1G") == nil)
    }

    /// Through the daemon: three `--memory 3G` jobs on a node with `capacity-memory-gib: 8`, a trace
    /// whose cheap slots draw all three; stored in SQLite, shown in the plan, never over 8 GiB.
    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func daemonPlansDeclaredMemory() async throws {
        let dir = NSTemporaryDirectory() + "verdant-mem-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
        let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!
        // 5-min slots: 300 except 00:30–00:50 at 50, until 03:00.
        let values: [Double] = (0..<36).map { (6..<10).contains($0) ? 50 : 300 }
        let series = IntensitySeries(points: values.enumerated().map { IntensityPoint(time: t0.addingTimeInterval(Double($0.offset) * 300), intensity: IntensityGramsPerKWh($0.element)) },
                                     fallback: IntensityGramsPerKWh(300), coverageEnd: t0.addingTimeInterval(3 * 3600))
        var capacity = CapacityConfiguration()
        capacity.memoryGiB = 8
        let p = try PolicyFile.parse("name: t\nplanner:\n  margin-sigmas: 0\nkinds:\n  batch:\n    expected-duration: 20m\n    deadline: 3h\n    power-watts: 10\n", file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let db = try VerdantDatabase(path: dir + "/verdant.sqlite")
        let rt = JobRuntime(parts: .init(
            database: db, sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: "mem-\(getpid())"),
            clock: DaemonClock(replay: ReplayClock(anchor: t0, anchorMonotonicNanos: monotonicNanos(), speed: 1)),
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: capacity.nodeCapacity(detectedGPUs: 0)))
        var ids: [Int64] = []
        for _ in 1...3 {
            let v = try await rt.submit(SubmitRequest(name: "m", kind: "batch", deadline: "3h", expectedDuration: "20m",
                                                      command: ["/bin/true"], workingDirectory: dir, environment: [], memory: "3G"), caller: me)
            #expect(v.memoryBytes == Int64(3_221_225_472))
            ids.append(v.id)
        }
        // Stored in the jobs table (migration v5-job-memory).
        for id in ids { #expect(try db.job(id: id)?.memoryBytes == 3 * 1_073_741_824) }
        let plan = try await rt.plan(caller: me)
        let runs = Dictionary(uniqueKeysWithValues: plan.map { ($0.id, ($0.planRuns ?? []).map { DateInterval(start: $0.start, end: $0.end) }) })
        let edges = Set(runs.values.flatMap { $0.flatMap { [$0.start, $0.end] } })
        let peak = edges.map { t in runs.values.filter { $0.contains { $0.start <= t && t < $0.end } }.count }.max() ?? 0
        #expect(peak == 2)   // 6 GiB of 8; three would be 9
        #expect(plan.filter { $0.plannedStart == t0.addingTimeInterval(1800) }.count == 2)
        #expect(plan.filter { $0.planReason == "capacity-bound" }.count == 1)
        // JSON: memory_bytes is there.
        let json = String(decoding: try APIJSON.encoder().encode(plan[0]), as: UTF8.self)
        #expect(json.contains("\"memory_bytes\" : 3221225472"))
        #expect(json.contains("\"plan_runs\" : ["))
        // More than the node gives jobs: refused with a message naming the flag.
        await #expect(throws: APIError.self) {
            _ = try await rt.submit(SubmitRequest(name: "m", kind: "batch", deadline: "3h", expectedDuration: "20m",
                                                  command: ["/bin/true"], workingDirectory: dir, environment: [], memory: "9G"), caller: me)
        }
        await #expect(throws: APIError.self) {
            _ = try await rt.submit(SubmitRequest(name: "m", kind: "batch", deadline: "3h", expectedDuration: "20m",
                                                  command: ["/bin/true"], workingDirectory: dir, environment: [], memory: "lots"), caller: me)
        }
    }
}
