import Foundation
import VerdantAPI
import VerdantCore

/// Plain-text renderings for people; scripts use `--json` or `--format csv`.
enum Tables {
    static func number(_ v: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

    static func opt(_ v: Double?, digits: Int = 1) -> String { v.map { number($0, digits: digits) } ?? "n/a" }

    /// `2020-06-01 11:45 CEST`: to the minute in the local zone (`TimeDisplay`), `-` for none.
    static func shortTime(_ d: Date?, _ time: TimeDisplay = .local) -> String {
        guard let d else { return "-" }
        return time.minute(d)
    }

    /// `2020-06-01 11:45:03 CEST`: to the second in the local zone (`TimeDisplay`).
    static func time(_ d: Date, _ time: TimeDisplay = .local) -> String { time.second(d) }

    /// Fixed-width columns: text left-aligned, numbers right-aligned.
    static func render(_ header: [String], _ rows: [[String]], numeric: Set<Int>) -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in
                let pad = String(repeating: " ", count: widths[i] - c.count)
                return numeric.contains(i) ? pad + c : c + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n")
    }

    /// A name as one table cell: control characters (tabs, newlines) shown as spaces.
    static func cell(_ s: String, max: Int) -> String {
        String(String(s.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : Character($0) }).prefix(max))
    }

    static func jobs(_ jobs: [JobView]) -> String {
        if jobs.isEmpty { return "no jobs" }
        return render(["ID", "NAME", "STATE", "WHERE", "PLANNED START", "DEADLINE", "PRED g", "NOW g"],
                      jobs.map { j in
                          [String(j.id), cell(j.name, max: 16), j.state, placement(cluster: j.cluster, slurmJobID: j.slurmJobID),
                           shortTime(j.plannedStart), shortTime(j.deadline),
                           number(j.predictedCarbonGrams, digits: 2), number(j.runNowCarbonGrams, digits: 2)]
                      }, numeric: [0, 6, 7])
    }

    /// Where a job runs: `local`, or `<cluster>/<slurm job id>` (`<cluster>/-` before Slurm has it).
    static func placement(cluster: String?, slurmJobID: Int64?) -> String {
        guard let cluster else { return "local" }
        return "\(cell(cluster, max: 16))/\(slurmJobID.map(String.init) ?? "-")"
    }

    static func detail(_ j: JobView) -> String {
        var lines = [
            "job \(j.id) \(j.name) (\(j.kind)): \(j.state)",
            "command:         \(j.command.joined(separator: " "))",
            "submitted:       \(time(j.submittedAt))",
            "deadline:        \(time(j.deadline))",
            "expected:        \(DurationSyntax.format(seconds: j.expectedDurationSeconds))\(j.expectedDurationUncertaintySeconds.map { " ± " + DurationSyntax.format(seconds: $0) } ?? "") (\(j.durationSource)), \(number(j.expectedEnergyJoules)) J\(j.expectedEnergyUncertaintyJoules.map { " ± " + number($0) + " J" } ?? "")",
            predictionLine(j),
            "planned start:   \(time(j.plannedStart)) (latest \(time(j.latestStart)))",
            "plan:            \(j.planReason)",
            "predicted:       \(number(j.predictedCarbonGrams, digits: 3)) gCO2eq at \(number(j.plannedIntensity)) gCO2eq/kWh; run now: \(number(j.runNowCarbonGrams, digits: 3)) gCO2eq",
        ]
        if let s = j.startedAt { lines.append("started:         \(time(s))") }
        if let e = j.endedAt { lines.append("ended:           \(time(e))") }
        if j.exitCode != nil || j.signal != nil {
            lines.append("exit:            \(j.exitCode.map { "status \($0)" } ?? "signal \(j.signal ?? 0)")")
        }
        if j.startedAt != nil {
            lines.append("energy:          \(opt(j.energyJoules, digits: 2)) J (\(j.energySource)), CPU \(opt(j.cpuSeconds, digits: 2)) s")
            lines.append("carbon:          \(opt(j.carbonGrams, digits: 4)) gCO2eq")
        }
        if let c = j.cluster {
            lines.append("slurm:           cluster \(c), job \(j.slurmJobID.map(String.init) ?? "not submitted yet"), state \(j.slurmState ?? "-")")
        }
        if let scope = j.energyScope { lines.append("energy scope:    \(scope)") }
        if j.energyErrorPercent != nil || j.durationErrorPercent != nil {
            lines.append("prediction error: energy \(signedPercent(j.energyErrorPercent)), duration \(signedPercent(j.durationErrorPercent))"
                         + " (measured \(j.durationSeconds.map { DurationSyntax.format(seconds: $0) } ?? "n/a"), \(opt(j.energyJoules, digits: 2)) J)")
        }
        if let r = j.reason { lines.append("reason:          \(r)") }
        if let l = j.logPath { lines.append("log:             \(l)") }
        return lines.joined(separator: "\n")
    }

    /// `+4.2 %`, or `n/a`.
    static func signedPercent(_ v: Double?) -> String {
        guard let v else { return "n/a" }
        return (v >= 0 ? "+" : "") + number(v) + " %"
    }

    /// What the prediction was fitted on, with the declared sizes.
    static func predictionLine(_ j: JobView) -> String {
        let sizes = j.sizes.isEmpty ? "" : "; sizes " + j.sizes.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(number($0.value, digits: $0.value == $0.value.rounded() ? 0 : 3))" }.joined(separator: " ")
        let basis: String
        switch j.predictionBasis {
        case "signature": basis = "fitted on \(j.predictionRuns ?? 0) earlier run(s) with the same name, kind, command and sizes"
        case "name-kind": basis = "fitted on \(j.predictionRuns ?? 0) earlier run(s) with the same name and kind"
        case "declared": basis = "cold start: the declared duration and the kind's policy power"
        case "policy": basis = "cold start: the kind's policy defaults"
        default: basis = "not recorded (planned before v3)"
        }
        return "prediction:      \(basis)\(sizes)"
    }
}
