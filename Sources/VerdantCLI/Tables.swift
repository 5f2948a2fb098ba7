import Foundation
import VerdantAPI
import VerdantCore

/// Plain-text renderings for people; scripts use `--json` or `--format csv`.
enum Tables {
    static func number(_ v: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

    static func opt(_ v: Double?, digits: Int = 1) -> String { v.map { number($0, digits: digits) } ?? "n/a" }

    static func shortTime(_ d: Date?) -> String {
        guard let d else { return "-" }
        let s = ISO8601.string(d)        // 2020-06-01T12:00:00Z
        return String(s.prefix(16)).replacingOccurrences(of: "T", with: " ")
    }

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
            "submitted:       \(ISO8601.string(j.submittedAt))",
            "deadline:        \(ISO8601.string(j.deadline))",
            "expected:        \(DurationSyntax.format(seconds: j.expectedDurationSeconds)) (\(j.durationSource)), \(number(j.expectedEnergyJoules)) J",
            "planned start:   \(ISO8601.string(j.plannedStart)) (latest \(ISO8601.string(j.latestStart)))",
            "plan:            \(j.planReason)",
            "predicted:       \(number(j.predictedCarbonGrams, digits: 3)) gCO2eq at \(number(j.plannedIntensity)) gCO2eq/kWh; run now: \(number(j.runNowCarbonGrams, digits: 3)) gCO2eq",
        ]
        if let s = j.startedAt { lines.append("started:         \(ISO8601.string(s))") }
        if let e = j.endedAt { lines.append("ended:           \(ISO8601.string(e))") }
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
        if let r = j.reason { lines.append("reason:          \(r)") }
        if let l = j.logPath { lines.append("log:             \(l)") }
        return lines.joined(separator: "\n")
    }

    static func report(_ r: EnergyReport) -> String {
        if r.jobs.isEmpty { return "no finished jobs in this range" }
        var rows = r.jobs.map { j in
            [String(j.id), cell(j.name, max: 14), j.state.rawValue,
             placement(cluster: j.placement?.cluster, slurmJobID: j.placement?.batchJobID), opt(j.energy?.joules, digits: 1),
             j.energySource.rawValue, opt(j.carbon?.grams, digits: 4), opt(j.cpuSeconds, digits: 1)]
        }
        rows.append(["", "TOTAL", "\(r.totals.jobs) jobs", "", opt(r.totals.energy?.joules, digits: 1), "",
                     opt(r.totals.carbon?.grams, digits: 4), opt(r.totals.cpuSeconds, digits: 1)])
        return render(["ID", "NAME", "STATE", "WHERE", "ENERGY J", "SOURCE", "CARBON g", "CPU s"], rows, numeric: [0, 4, 6, 7])
    }

    /// CSV with units in the column names; `n/a` cells are empty.
    static func reportCSV(_ r: EnergyReport) -> String {
        var out = "id,name,kind,state,started_at,ended_at,energy_j,energy_kwh,energy_source,carbon_g,cpu_seconds,predicted_carbon_g,run_now_carbon_g,cluster,slurm_job_id\n"
        func cell(_ v: Double?) -> String { v.map { String($0) } ?? "" }
        func text(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }
        for j in r.jobs {
            out += [String(j.id), text(j.name), j.kind.rawValue, j.state.rawValue,
                    j.startedAt.map(ISO8601.string) ?? "", j.endedAt.map(ISO8601.string) ?? "",
                    cell(j.energy?.joules), cell(j.energy?.kilowattHours), j.energySource.rawValue,
                    cell(j.carbon?.grams), cell(j.cpuSeconds), String(j.predictedCarbon.grams),
                    String(j.runNowCarbon.grams), text(j.placement?.cluster ?? ""),
                    j.placement?.batchJobID.map(String.init) ?? ""].joined(separator: ",") + "\n"
        }
        return out
    }
}
