import Foundation
import Logging
import VerdantAPI
import VerdantCore
import VerdantSensors
import VerdantStore
@testable import VerdantDaemon
import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

/// The set-up the checkpoint tests share (`CheckpointRestartTests`, `CheckpointShutdownTests`,
/// `CheckpointResumePlanTests`): a scratch state directory, a `JobRuntime` over real cgroups and a
/// real SQLite file with a one-kind (`batch`, 36 W) policy and a 0–85 W CPU model, and a shell job of
/// N steps of 0.1 s that checkpoints on SIGUSR1.
///
/// The job (run in `dir`): at each start it appends `start $VERDANT_RESTART_COUNT <step>` to `starts`
/// and resumes after the step saved in `progress` (0 if none); each step appends its number to `out`;
/// on SIGUSR1 it writes the number of steps done to `progress` and exits 0; after the last step it
/// appends `end`. Its `out` is then `1\n2\n…N\nend\n` however often it was interrupted.
struct CheckpointFixture {
    /// The trace start of every checkpoint test: 2020-06-01T00:00:00Z.
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    /// The scratch state directory (with its `logs` subdirectory), removed by `remove()`.
    let dir: String
    /// The SQLite file the runtimes of one test share: `dir/verdant.sqlite`.
    var databasePath: String { dir + "/verdant.sqlite" }

    /// Creates `<tmp>/<prefix>-<UUID>/logs`.
    init(prefix: String) throws {
        dir = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/logs", withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }

    /// A runtime on `database` whose policy's `batch` kind has the given default `expected-duration`
    /// and `deadline` (duration syntax) and 36 W; no flush delay; no GPU, unlimited capacity.
    func runtime(database: VerdantDatabase, clock: DaemonClock, series: IntensitySeries, instance: String,
                 expectedDuration: String, deadline: String) throws -> JobRuntime {
        let p = try PolicyFile.parse("name: t\nkinds:\n  batch:\n    expected-duration: \(expectedDuration)\n    deadline: \(deadline)\n    power-watts: 36\n",
                                     file: "t.yaml")
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        return JobRuntime(parts: .init(
            database: database,
            sensor: NodeSensor(powercapRoot: "/nonexistent", procRoot: "/proc", model: model, cpufreqRoot: nil),
            model: model, executor: ProcessExecutor(layout: CgroupLayout.detect(), instance: instance), clock: clock,
            series: series, intensitySource: "trace:test", intensityZone: "test",
            policy: p.policy, defaultDeadlines: p.deadlines, stateDirectory: dir, flushIntervalSeconds: 0,
            logger: Logger(label: "test"), capacity: .unlimited))
    }

    /// The checkpointing job of `steps` steps (see the type's note) as a `batch` submission with
    /// `--checkpoint-signal SIGUSR1` and the given grace.
    func request(name: String, steps: Int, deadline: String, expectedDuration: String, grace: String) -> SubmitRequest {
        let script = """
            cd \(dir)
            i=$(cat progress 2>/dev/null || echo 0)
            echo "start $VERDANT_RESTART_COUNT $i" >> starts
            trap 'wc -l < out > progress; exit 0' USR1
            while [ $i -lt \(steps) ]; do i=$((i+1)); echo $i >> out; sleep 0.1; done
            echo end >> out
            """
        var request = SubmitRequest(name: name, kind: "batch", deadline: deadline, expectedDuration: expectedDuration,
                                    command: ["/bin/sh", "-c", script], workingDirectory: dir, environment: [])
        request.checkpointSignal = "SIGUSR1"
        request.checkpointGrace = grace
        return request
    }

    /// `grams` g/kWh in `slots` 5-minute slots from `start`, 480 g/kWh after them.
    static func flatSeries(from start: Date, slots: Int, grams: Double) -> IntensitySeries {
        IntensitySeries(points: (0..<slots).map { IntensityPoint(time: start.addingTimeInterval(Double($0) * 300), intensity: IntensityGramsPerKWh(grams)) },
                        fallback: IntensityGramsPerKWh(480), coverageEnd: start.addingTimeInterval(Double(slots) * 300))
    }

    /// Lines in `out`: the steps done so far.
    var stepsDone: Int { ((try? String(contentsOfFile: dir + "/out", encoding: .utf8)) ?? "").split(separator: "\n").count }

    /// The step saved in `progress` at the last checkpoint; −1 if none.
    var savedStep: Int {
        Int(((try? String(contentsOfFile: dir + "/progress", encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// `out` as written.
    func output() throws -> String { try String(contentsOfFile: dir + "/out", encoding: .utf8) }

    /// The `starts` lines split into words: `["start", restart count, resumed-after step]` per start.
    func starts() throws -> [[String]] {
        try String(contentsOfFile: dir + "/starts", encoding: .utf8).split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
    }

    /// `out` of an uninterrupted run of `steps` steps.
    static func uninterruptedOutput(steps: Int) -> String { (1...steps).map { "\($0)\n" }.joined() + "end\n" }

    /// Ticks `rt` every 10 ms until the job has done at least `steps` steps (at most 1,000 ticks); the steps done.
    func tick(_ rt: JobRuntime, untilStepsDone steps: Int) async throws -> Int {
        var done = 0
        for _ in 0..<1000 where done < steps {
            _ = await rt.startDueJobs()
            done = stepsDone
            try await Task.sleep(for: .milliseconds(10))
        }
        return done
    }
}
