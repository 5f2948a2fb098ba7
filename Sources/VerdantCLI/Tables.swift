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
        return render(["ID", "NAME", "STATE", "PLANNED START", "DEADLINE", "PRED g", "NOW g"],
                      jobs.map { j in
                          [String(j.id), cell(j.name, max: 16), j.state, shortTime(j.plannedStart), shortTime(j.deadline),
                           number(j.predictedCarbonGrams, digits: 2), number(j.runNowCarbonGrams, digits: 2)]
                      }, numeric: [0, 5, 6])
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
        if let r = j.reason { lines.append("reason:          \(r)") }
        if let l = j.logPath { lines.append("log:             \(l)") }
        return lines.joined(separator: "\n")
    }
}
