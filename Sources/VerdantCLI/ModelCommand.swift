import ArgumentParser
import Foundation
import VerdantCore
import VerdantSensors

/// `verdant model`: the power model's evaluation.
struct Model: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The CPU power model used where no energy counter can be read.",
        discussion: "Example: verdant model eval-power --data Tests/VerdantSensorsTests/Fixtures/codecarbon-cpu-load-profiling",
        subcommands: [EvalPower.self])

    /// `verdant model eval-power --data DIR [--cpu-table FILE] [--json]`: leave-one-CPU-out evaluation
    /// on CodeCarbon's load profiles (docs/measurement.md).
    struct EvalPower: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "eval-power",
            abstract: "Leave-one-CPU-out MAPE of the power models on CodeCarbon's CPU load profiles.",
            discussion: "DIR holds one folder per CPU with compare_cpu_load_and_RAPL-*.csv files (../shared/data/fixtures/codecarbon-cpu-load-profiling).\nExample: verdant model eval-power --data Tests/VerdantSensorsTests/Fixtures/codecarbon-cpu-load-profiling --json")

        @Option(help: "Folder of the load-profile recordings, one sub-folder per CPU.") var data: String
        @Option(name: .customLong("cpu-table"), help: "CodeCarbon's cpu_power.csv (Name,TDP); default: the one bundled with verdantd.")
        var cpuTable: String?
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let fm = FileManager.default
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: data, isDirectory: &isDir), isDir.boolValue else {
                throw ValidationError("--data \(data) is not a folder: give the folder of the load-profile recordings")
            }
            let tablePath = cpuTable ?? Self.bundledTablePath()
            guard let tablePath, let table = try? String(contentsOfFile: tablePath, encoding: .utf8) else {
                throw ValidationError("cannot read the CPU table \(cpuTable ?? "(bundled)"): give --cpu-table FILE (CodeCarbon's cpu_power.csv)")
            }
            var cpus: [PowerModelEvaluation.CPU] = []
            for dir in try fm.contentsOfDirectory(atPath: data).sorted() {
                let folder = data + "/" + dir
                guard fm.fileExists(atPath: folder, isDirectory: &isDir), isDir.boolValue else { continue }
                var steps: [PowerModelEvaluation.Step] = []
                var name = ""
                for f in try fm.contentsOfDirectory(atPath: folder).sorted() where f.hasSuffix(".csv") {
                    let text = try String(contentsOfFile: folder + "/" + f, encoding: .utf8)
                    let parsed = try PowerModelEvaluation.parse(csv: text, file: folder + "/" + f)
                    name = parsed.modelName
                    steps += parsed.steps
                }
                if !steps.isEmpty { cpus.append(PowerModelEvaluation.CPU(label: dir, modelName: name, steps: steps)) }
            }
            guard cpus.count >= 2 else { throw ValidationError("--data \(data) holds \(cpus.count) CPU folder(s) with recordings (compare_cpu_load_and_RAPL-*.csv), the evaluation needs two or more: give the folder with one sub-folder per CPU, e.g. Tests/VerdantSensorsTests/Fixtures/codecarbon-cpu-load-profiling") }
            let results = PowerModelEvaluation.leaveOneOut(cpus) { TDPTable.lookup(modelName: $0.modelName, csv: table)?.watts }
            if json {
                let rows: [[String: Any]] = results.map {
                    ["cpu": $0.label, "tdp_w": $0.tdpWatts, "steps": $0.steps, "baseline_mape_pct": $0.baselineMAPE * 100,
                     "tdp_curve_mape_pct": $0.tdpCurveMAPE * 100, "learned_mape_pct": $0.learnedMAPE * 100]
                }
                let d = try JSONSerialization.data(withJSONObject: rows, options: [.sortedKeys, .prettyPrinted])
                print(String(decoding: d, as: UTF8.self))
                return
            }
            print("cpu                   TDP W  steps  TDP×load MAPE %  TDP curve MAPE %  learned MAPE %  learned/baseline")
            for r in results {
                print(String(format: "%-20@  %5.0f  %5d  %15.1f  %16.1f  %14.1f  %16.2f", r.label as NSString, r.tdpWatts, r.steps,
                             r.baselineMAPE * 100, r.tdpCurveMAPE * 100, r.learnedMAPE * 100, r.learnedMAPE / r.baselineMAPE))
            }
            for c in cpus where !results.contains(where: { $0.label == c.label }) {
                print("\(c.label): no TDP for \"\(c.modelName)\" in the CPU table; skipped")
            }
        }

        /// The CPU table installed next to verdantd's resources, if found.
        static func bundledTablePath() -> String? {
            let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            let candidates = [exe.appendingPathComponent("Verdant_VerdantDaemon.resources/reference/cpu_power.csv").path,
                              "/usr/share/verdant/reference/cpu_power.csv"]
            return candidates.first { FileManager.default.fileExists(atPath: $0) }
        }
    }
}
