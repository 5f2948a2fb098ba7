import Foundation
import Testing
import VerdantCore

/// The job-energy predictor on a real repeated job (issue 5): the example training job
/// (docs/examples/train.py, scikit-learn) run 10 times with varying `--epochs` through the real daemon.
/// Target: energy MAPE under 10 % over the runs after the third, from the stored predicted and measured values
/// (duration is printed and only sanity-bounded: it depends on the machine's load).
/// The figures it prints are the ones in docs/models.md.
@Suite(.serialized) struct PredictorEndToEndTests {
    /// The sizes of the 10 runs, in submission order: varied, with later runs outside the first runs' range.
    static let epochs = [4, 8, 6, 12, 5, 10, 3, 14, 7, 9]

    func daemonArgs() -> [String] {
        // Replay off: durations are real seconds, and outside the bundled trace the flat static intensity
        // is in force, so each job is planned to start at once.
        ["--replay-speed", "0", "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power",
         "--sample-interval", "0.2s", "--flush-interval", "1s"]
    }

    @Test func exampleTrainingJobIsPredictedWithin10PercentAfterThreeRuns() throws {
        let probe = try runProgram("/usr/bin/env", ["python3", "-c", "import sklearn"])
        try #require(probe.status == 0, "scikit-learn is missing: run scripts/install-deps")
        let state = temporaryDirectory("predictor")
        let daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs())
        let script = repoRoot.appendingPathComponent("docs/examples/train.py").path
        let model = state.appendingPathComponent("digits-mlp.pickle").path

        let bad = try daemon.cli(["submit", "--size", "epochs=0", "--", "true"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--size epochs='0' is not a number greater than 0"), "\(bad.stderr)")

        var jobs: [[String: Any]] = []
        for (i, e) in Self.epochs.enumerated() {
            let r = try daemon.cli(["submit", "--name", "digits-train", "--kind", "training", "--deadline", "2h",
                                    "--expected-duration", "30s", "--size", "epochs=\(e)", "--",
                                    "python3", script, model, "--epochs", String(e)])
            let id = try #require(Int(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), "submit \(i + 1) failed: \(r.stderr)")
            let done = try waitFor(180) { () -> [String: Any]? in
                let j = try daemon.json(["show", String(id)]) as? [String: Any]
                return ["succeeded", "failed", "lost", "cancelled"].contains(j?["state"] as? String ?? "") ? j : nil
            }
            let j = try #require(done, "run \(i + 1) did not finish; daemon log:\n\(daemon.daemonLog())")
            try #require(j["state"] as? String == "succeeded", "run \(i + 1): \(j)")
            jobs.append(j)
        }

        var energyErrors: [Double] = [], durationErrors: [Double] = []
        print("run epochs basis       runs  predicted J ± 1σ        measured J  error %  predicted s ± 1σ   measured s  error %")
        for (i, j) in jobs.enumerated() {
            let predictedJ = try #require(j["expected_energy_j"] as? Double)
            let measuredJ = try #require(j["energy_j"] as? Double)
            let predictedS = try #require(j["expected_duration_s"] as? Double)
            let measuredS = try #require(j["duration_s"] as? Double)
            let energyError = try #require(j["energy_error_pct"] as? Double)
            let durationError = try #require(j["duration_error_pct"] as? Double)
            // The stored errors are the stored predicted and measured values, compared.
            #expect(abs(energyError - (predictedJ - measuredJ) / measuredJ * 100) < 1e-6)
            #expect(abs(durationError - (predictedS - measuredS) / measuredS * 100) < 1e-6)
            let started = try #require(date(j["started_at"])), ended = try #require(date(j["ended_at"]))
            #expect(abs(measuredS - ended.timeIntervalSince(started)) < 5e-3)   // JSON instants have ms precision
            #expect(j["prediction_basis"] as? String == (i == 0 ? "declared" : "signature"))
            #expect(j["prediction_runs"] as? Int == i)
            #expect((j["sizes"] as? [String: Double])?["epochs"] == Double(Self.epochs[i]))
            #expect(try #require(j["expected_energy_uncertainty_j"] as? Double) > 0)
            #expect(try #require(j["expected_duration_uncertainty_s"] as? Double) > 0)
            if i >= 3 {
                energyErrors.append(abs(energyError))
                durationErrors.append(abs(durationError))
            }
            print(String(format: "%3d %6d %-10@ %5d %10.1f ± %-9.1f %10.1f %+8.1f %9.1f ± %-7.1f %10.2f %+8.1f",
                         i + 1, Self.epochs[i], j["prediction_basis"] as? String ?? "", i, predictedJ,
                         j["expected_energy_uncertainty_j"] as? Double ?? 0, measuredJ, energyError, predictedS,
                         j["expected_duration_uncertainty_s"] as? Double ?? 0, measuredS, durationError))
        }
        let energyMAPE = energyErrors.reduce(0, +) / Double(energyErrors.count)
        let durationMAPE = durationErrors.reduce(0, +) / Double(durationErrors.count)
        print(String(format: "runs 4-10: energy MAPE %.2f %%, duration MAPE %.2f %%", energyMAPE, durationMAPE))
        #expect(energyErrors.count == 7)
        #expect(energyMAPE < 10, "energy MAPE after 3 runs: \(energyMAPE) %")
        // Wall-clock duration follows the machine's load (a shared 2-core CI VM: 5 % idle, 20 % under
        // six parallel builds); the target is on energy. This bound only catches a broken duration model.
        #expect(durationMAPE < 50, "duration MAPE after 3 runs: \(durationMAPE) %")

        // The report's predictor section: MAPE over the last 20 (here all 10) succeeded jobs.
        let r = try daemon.cli(["report", "--format", "json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let section = try #require(report["predictor"] as? [String: Any])
        #expect(section["jobs"] as? Int == 10)
        #expect(section["window"] as? Int == 20)
        let all = try jobs.map { abs(try #require($0["energy_error_pct"] as? Double)) }
        #expect(abs(try #require(section["energy_mape_pct"] as? Double) - all.reduce(0, +) / 10) < 1e-9)
        let table = try daemon.cli(["report"])
        #expect(table.stdout.contains("predictor: MAPE energy"), "\(table.stdout)")
        let show = try daemon.cli(["show", String(try #require(jobs.last?["id"] as? Int))])
        #expect(show.stdout.contains("prediction error: energy"), "\(show.stdout)")
        #expect(show.stdout.contains("fitted on 9 earlier run(s) with the same name, kind, command and sizes; sizes epochs=9"), "\(show.stdout)")
        #expect(daemon.terminate() == 0)
    }
}
