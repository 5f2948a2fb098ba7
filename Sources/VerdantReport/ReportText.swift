import Foundation
import VerdantCore

/// Plain renderings of an `EnergyReport`: the 80-column table and CSV. Pure: strings in, strings out.
public enum ReportText {
    /// A number in at most about 8 characters: 0 decimals from 1000, 1 from 10, 2 from 0.01, else
    /// scientific (`1.2e-05`), so a column of mixed magnitudes still aligns on the right.
    public static func compact(_ v: Double) -> String {
        let a = abs(v)
        if a == 0 { return "0" }
        if a >= 1e7 { return PrintfNumber.string("%.2e", v) }
        if a >= 1000 { return PrintfNumber.fixed(v, digits: 0) }
        if a >= 10 { return PrintfNumber.fixed(v, digits: 1) }
        if a >= 0.01 { return PrintfNumber.fixed(v, digits: 2) }
        return PrintfNumber.string("%.1e", v)
    }

    static func opt(_ v: Double?, _ f: (Double) -> String = compact) -> String { v.map(f) ?? "n/a" }

    static func cell(_ s: String, max: Int) -> String {
        // Printable ASCII (job ids, dates, most names) holds no control character and counts one
        // character per byte.
        if s.utf8.count <= max && s.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return s }
        let clean = String(s.unicodeScalars.map { CharacterSet.controlCharacters.contains($0) ? " " : Character($0) })
        return clean.count <= max ? clean : String(clean.prefix(max - 1)) + "…"
    }

    /// The table for people: one line per row and a TOTAL line, at most 80 columns, numbers right-aligned,
    /// `n/a` where there is no value. Energy is in kWh when the total reaches 1 kWh, else in J.
    public static func table(_ r: EnergyReport) -> String {
        let rows = r.rows + [r.total]
        if r.rows.isEmpty { return r.by == .zone ? "no energy samples in this range" : "no finished jobs in this range" }
        let inKWh = (r.total.energyJoules ?? 0) >= 3_600_000
        let keyTitle = r.by.rawValue.uppercased()
        let header = [keyTitle, "JOBS", inKWh ? "kWh" : "J", "W", "gCO2", "g/kWh", "MEAS%", "ERR%", "SAVED g", "DELAY h"]
        // --by job: a Slurm job's key is `<id>@<slurm job id>` (ReportPlacement), never cut short. The rows
        // are the jobs in the same order (both by id): the job of a row is found by walking alongside.
        var jobIndex = 0
        func key(_ row: ReportRow) -> String {
            if r.by == .job, jobIndex < r.jobs.count, r.jobs[jobIndex].row.key == row.key {
                jobIndex += 1
                return ReportPlacement.tableKey(r.jobs[jobIndex - 1])
            }
            if r.by == .job, row.key != "TOTAL", let j = r.jobs.first(where: { String($0.id) == row.key }) { return ReportPlacement.tableKey(j) }
            return cell(row.key, max: 12)
        }
        // Cells of every line in one flat array, 10 per line (no per-line arrays).
        let columns = header.count
        var cells: [String] = []
        cells.reserveCapacity(rows.count * columns)
        for row in rows {
            cells.append(key(row)); cells.append(String(row.jobs)); cells.append(opt(inKWh ? row.energyKWh : row.energyJoules))
            cells.append(opt(row.meanPowerWatts)); cells.append(opt(row.carbonGrams))
            cells.append(opt(row.intensityGramsPerKWh) { PrintfNumber.fixed($0, digits: 0) })
            cells.append(opt(row.measuredShare) { PrintfNumber.fixed($0 * 100, digits: 0) })
            cells.append(opt(row.energyErrorPercent) { PrintfNumber.string("%+.0f", $0) })
            cells.append(opt(row.carbonSavedGrams)); cells.append(opt(row.delaySeconds) { compact($0 / 3600) })
        }
        // Display width: one per byte for ASCII (numbers, ids, dates), else one per character.
        func width(_ c: String) -> Int { c.utf8.allSatisfy { $0 < 0x80 } ? c.utf8.count : c.count }
        var widths = header.map(\.count)
        for (k, c) in cells.enumerated() { widths[k % columns] = max(widths[k % columns], width(c)) }
        var text = ""
        text.reserveCapacity((rows.count + 4) * 81)
        // Padding from ready-made runs of spaces: appending `repeatElement(" " as Character, count:)` went
        // through the unspecialised generic `String.append(contentsOf:)` one Character at a time, 42 % of a
        // 20,000-row `--by job` table in a release profile (issue 8).
        let spaces = (0...widths.max()!).map { String(repeating: " ", count: $0) }
        func pad(_ n: Int) { if n > 0 { text.append(spaces[n]) } }
        func line<C: Collection>(_ line: C) where C.Element == String {
            for (i, c) in line.enumerated() {
                if i > 0 { text.append(" ") }
                if i == 0 { text.append(c); pad(widths[i] - width(c)) } else { pad(widths[i] - width(c)); text.append(c) }
            }
            text.append("\n")
        }
        line(header)
        for k in 0..<(rows.count - 1) { line(cells[(k * columns)..<((k + 1) * columns)]) }
        text.append(String(repeating: "-", count: min(80, widths.reduce(0, +) + widths.count - 1)))
        text.append("\n")
        line(cells[((rows.count - 1) * columns)...])
        let sources = Set(r.rows.compactMap(\.intensitySource)).sorted()
        let kinds = Set(r.rows.compactMap(\.intensityKind)).sorted()
        var notes = "n/a: nothing measured. MEAS%: share of run time measured; ERR%: energy vs predicted; SAVED: vs start at submission."
        if !sources.isEmpty { notes += "\nintensity: \(sources.joined(separator: ", "))" + (kinds.isEmpty ? "" : " (\(kinds.joined(separator: ", ")))") }
        if let slurm = ReportPlacement.legend(r) { notes += "\n" + slurm }
        return text + wrap(notes, width: 80) + "\n" + wrap(predictorLine(r.predictor), width: 80)
    }

    /// The report's predictor section (issue 5): MAPE of energy and duration over the last succeeded jobs.
    public static func predictorLine(_ p: PredictorAccuracy) -> String {
        guard p.jobs > 0 else { return "predictor: no succeeded job with a measured energy and duration in this range" }
        return "predictor: MAPE energy \(opt(p.energyMAPEPercent)) %, duration \(opt(p.durationMAPEPercent)) % over the last \(p.jobs) succeeded job(s) (window \(p.window))"
    }

    static func wrap(_ text: String, width: Int) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { para -> String in
            var lines: [String] = [], cur = ""
            for w in para.split(separator: " ") {
                if !cur.isEmpty && cur.count + 1 + w.count > width { lines.append(cur); cur = "" }
                cur += (cur.isEmpty ? "" : " ") + w
            }
            lines.append(cur)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The CSV columns of every grouping; `--by job` adds the job's own columns after `key`, and
    /// `cluster`, `slurm_job_id` (`ReportPlacement.csvColumns`) at the end.
    public static let csvColumns = ["key", "jobs", "duration_s", "energy_j", "energy_kwh", "mean_power_w", "cpu_s", "carbon_g",
                                    "intensity_g_per_kwh", "intensity_source", "intensity_kind", "measured_share", "estimated_share",
                                    "missing_share", "predicted_energy_j", "energy_error_j", "energy_error_pct",
                                    "counterfactual_carbon_g", "carbon_saved_g", "delay_s"]
    public static let csvJobColumns = ["name", "kind", "state", "user", "submitted_at", "started_at", "ended_at", "energy_source"]

    /// CSV (RFC 4180) with units in the column names, one line per row and a last line keyed `TOTAL`;
    /// empty cells where there is no value (never 0).
    public static func csv(_ r: EnergyReport) -> String {
        let byJob = r.by == .job
        var header = csvColumns
        if byJob { header.insert(contentsOf: csvJobColumns, at: 1); header += ReportPlacement.csvColumns }
        // Written as bytes: numbers as `String(v)` writes them (`NumberText.appendShortest`), dates as
        // `ReportDate.iso`, cells appended as they come (no per-row array and join).
        var out: [UInt8] = Array((header.joined(separator: ",") + "\n").utf8)
        out.reserveCapacity((r.rows.count + 1) * (byJob ? 330 : 260))
        var first = true
        func sep() { if first { first = false } else { out.append(44) } }
        func n(_ v: Double?) {
            sep()
            guard let v else { return }
            if v.isFinite { NumberText.appendShortest(v, to: &out, dropZeroFraction: false) } else { out.append(contentsOf: String(v).utf8) }
        }
        func t(_ s: String?) {
            sep()
            guard let s else { return }
            if s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A }) {
                out.append(contentsOf: ("\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"").utf8)
            } else {
                out.append(contentsOf: s.utf8)
            }
        }
        func d(_ v: Date?) { sep(); if let v { ReportDate.append(v, to: &out) } }
        // Rows of `--by job` are the jobs in the same order (both by id), so the job of a row is found by
        // walking the jobs alongside; a dictionary by key stays as the fallback.
        var jobIndex = 0
        var jobsByKey: [String: ReportJob]?
        func job(_ key: String) -> ReportJob? {
            if jobIndex < r.jobs.count, r.jobs[jobIndex].row.key == key { jobIndex += 1; return r.jobs[jobIndex - 1] }
            if jobsByKey == nil { jobsByKey = Dictionary(r.jobs.map { (String($0.id), $0) }, uniquingKeysWith: { a, _ in a }) }
            return jobsByKey![key]
        }
        func line(_ row: ReportRow) {
            first = true
            t(row.key)
            let j = byJob && row.key != "TOTAL" ? job(row.key) : nil
            if byJob {
                t(j?.name); t(j?.kind.rawValue); t(j?.state.rawValue); t(j?.user)
                d(j?.submittedAt); d(j?.startedAt); d(j?.endedAt); t(j?.energySource.rawValue)
            }
            sep(); NumberText.appendInteger(Int64(row.jobs), to: &out)
            n(row.durationSeconds); n(row.energyJoules); n(row.energyKWh); n(row.meanPowerWatts)
            n(row.cpuSeconds); n(row.carbonGrams); n(row.intensityGramsPerKWh); t(row.intensitySource); t(row.intensityKind)
            n(row.measuredShare); n(row.estimatedShare); n(row.missingShare); n(row.predictedEnergyJoules)
            n(row.energyErrorJoules); n(row.energyErrorPercent); n(row.counterfactualCarbonGrams)
            n(row.carbonSavedGrams); n(row.delaySeconds)
            if byJob {   // ReportPlacement.csvColumns: cluster, slurm_job_id (empty for local jobs and TOTAL)
                t(j?.placement?.cluster)
                sep(); if let id = j?.placement?.batchJobID { NumberText.appendInteger(id, to: &out) }
            }
            out.append(10)
        }
        for row in r.rows { line(row) }
        line(r.total)
        return String(decoding: out, as: UTF8.self)
    }
}
