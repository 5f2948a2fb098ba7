import Foundation
import VerdantCore

/// The JSON rendering of an `EnergyReport`, written directly into a byte buffer.
///
/// The same document as `JSONEncoder` with `APIJSON.encoder()`'s settings (sorted keys, slashes unescaped,
/// dates as `ISO8601.string`) gives for the report's `Codable` conformance: the same keys, nesting and values
/// (numbers in Swift's shortest round-trip form; `null` for absent values). The layout is compact: the report
/// object has one member per line and its arrays (`jobs`, `rows`, `timeline`) one element per line, each job,
/// row and point on one line without spaces (a year's 20,000 jobs pretty-printed as `JSONEncoder` does were
/// 44 MB, two thirds of it indentation, newlines and `" : "`; docs/performance.md). A year of 20,000 jobs
/// through `JSONEncoder` (boxed containers per value) cost seconds; this writes it in one pass.
/// Test: `ReportJSONTests` parses both and compares.
public enum ReportJSON {
    /// A value that JSON cannot hold (NaN or an infinity), as `JSONEncoder` refuses it too.
    public struct InvalidNumber: Error, CustomStringConvertible {
        public let key: String
        public var description: String { "the report value '\(key)' is not a finite number" }
    }

    /// The report as JSON (UTF-8; the layout above), keys sorted, without a final newline.
    /// - Throws: `InvalidNumber` for a NaN or infinite value.
    public static func render(_ r: EnergyReport) throws -> String {
        String(decoding: try renderBytes(r), as: UTF8.self)
    }

    /// `render(r)`'s UTF-8 bytes, as written (no copy into a `String`; the writer appends only the UTF-8
    /// of Swift strings and ASCII, so `String(decoding:)` of them changes nothing).
    /// - Parameter extra: bytes of room to leave at the end (a final newline), so appending them copies nothing.
    /// - Throws: `InvalidNumber` for a NaN or infinite value.
    public static func renderBytes(_ r: EnergyReport, extra: Int = 0) throws -> [UInt8] {
        var w = Writer()
        // About 1.4 kB per job (its object and row) plus 0.8 kB per row: one allocation for a year's report.
        w.out.reserveCapacity(4096 + r.jobs.count * 1500 + r.rows.count * 800 + r.timeline.count * 250 + extra)
        try w.report(r)
        return w.out
    }

    struct Writer {
        var out: [UInt8] = []
        var depth = 0

        init() {}

        mutating func raw(_ s: String) { out.append(contentsOf: s.utf8) }
        /// A newline and the indentation (two spaces per level), appended from one static buffer.
        static let indentation = [UInt8](repeating: 32, count: 64)
        mutating func newline() {
            out.append(10)
            var n = depth * 2
            while n > 0 {
                let k = min(n, Self.indentation.count)
                out.append(contentsOf: Self.indentation[0..<k])
                n -= k
            }
        }

        mutating func string(_ s: String) {
            out.append(34)
            // Most strings need no escape: copy their bytes at once.
            if !s.utf8.contains(where: { $0 < 32 || $0 == 34 || $0 == 92 }) {
                out.append(contentsOf: s.utf8)
                out.append(34)
                return
            }
            for b in s.utf8 {
                switch b {
                case 34: out.append(92); out.append(34)
                case 92: out.append(92); out.append(92)
                case 10: out.append(92); out.append(110)
                case 13: out.append(92); out.append(114)
                case 9: out.append(92); out.append(116)
                case 8: out.append(92); out.append(98)
                case 12: out.append(92); out.append(102)
                case 0..<32:
                    raw("\\u00")
                    let hex = Array("0123456789abcdef".utf8)
                    out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)])
                default: out.append(b)
                }
            }
            out.append(34)
        }

        /// The open objects and arrays, innermost last: whether it has no member yet, and whether its
        /// members go on lines of their own (`pretty`) or follow each other on one line.
        var empty: [Bool] = []
        var pretty: [Bool] = []

        /// Opens an object or array; `pretty`: one member per line, indented (the report object and its
        /// arrays), else one line without spaces (every job, row and point).
        mutating func open(_ bracket: UInt8, pretty p: Bool = false) {
            out.append(bracket); depth += 1; empty.append(true); pretty.append(p)
        }
        mutating func close(_ bracket: UInt8, _ emptyForm: String) {
            depth -= 1
            let p = pretty.removeLast()
            if empty.removeLast() {
                out.removeLast()
                raw(emptyForm)
            } else {
                if p { newline() }
                out.append(bracket)
            }
        }
        /// Starts the next element of the open array.
        mutating func element() {
            let k = empty.count - 1
            if !empty[k] { out.append(44) }
            empty[k] = false
            if pretty[k] { newline() }
        }
        /// Starts a member of the open object (callers write members in sorted key order): `"k": ` in the
        /// report object, `"k":` inside a one-line object.
        mutating func key(_ k: StaticString) {
            element()
            out.append(34)
            k.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(34); out.append(58)
            if pretty[pretty.count - 1] { out.append(32) }
        }

        /// An array of the report object: one element per line.
        mutating func array<T>(_ items: [T], _ item: (inout Writer, T) throws -> Void) throws {
            open(91, pretty: true)
            for k in items.indices { element(); try item(&self, items[k]) }
            close(93, "[]")
        }

        mutating func int(_ v: Int64) { NumberText.appendInteger(v, to: &out) }
        mutating func text(_ v: String?) { if let v { string(v) } else { raw("null") } }
        mutating func date(_ v: Date?) {
            guard let v else { raw("null"); return }
            // ISO-8601 text holds no character that needs escaping.
            out.append(34); ReportDate.append(v, to: &out); out.append(34)
        }

        mutating func report(_ r: EnergyReport) throws {
            open(123, pretty: true)
            key("by"); string(r.by.rawValue)
            key("jobs"); try array(r.jobs) { w, j in try w.job(j) }
            key("predictor"); try predictor(r.predictor)
            key("rows"); try array(r.rows) { w, row in try w.row(row) }
            if let since = r.since { key("since"); date(since) }
            key("timeline"); try array(r.timeline) { w, p in try w.point(p) }
            key("total"); try row(r.total)
            key("totals"); try totals(r.totals)
            if let until = r.until { key("until"); date(until) }
            close(125, "{}")
        }

        // One-line objects (every job, row and point): never empty and never holding a pretty container, so
        // they are written without the open/close bookkeeping, each member's separator, name and colon
        // appended as one literal (`{"carbon_g":`, then `,"cluster":`): the same bytes `open`, `key` and
        // `close` write for them (ReportJSONTests), without two stack look-ups and five appends per member
        // (a year's `--by job` report has 1.6 million members).

        /// Appends a literal (a member's separator, quoted name and colon).
        @inline(__always) mutating func lit(_ s: StaticString) { s.withUTF8Buffer { out.append(contentsOf: $0) } }
        /// `lit(k)` and a number; `k` also names the value in `InvalidNumber`.
        mutating func n(_ k: StaticString, _ v: Double?) throws {
            lit(k)
            guard let v else { raw("null"); return }
            guard v.isFinite else { throw InvalidNumber(key: String(describing: k).filter { $0 != "," && $0 != "{" && $0 != "\"" && $0 != ":" }) }
            NumberText.appendShortest(v, to: &out, dropZeroFraction: true)
        }

        mutating func job(_ j: ReportJob) throws {
            try n("{\"carbon_g\":", j.carbon?.grams)
            lit(",\"cluster\":"); text(j.placement?.cluster)   // executor slurm; null for local jobs
            try n(",\"cpu_seconds\":", j.cpuSeconds)
            lit(",\"ended_at\":"); date(j.endedAt)
            try n(",\"energy_j\":", j.energy?.joules)
            lit(",\"energy_source\":"); string(j.energySource.rawValue)
            lit(",\"id\":"); int(j.id)
            lit(",\"kind\":"); string(j.kind.rawValue)
            lit(",\"name\":"); string(j.name)
            try n(",\"predicted_carbon_g\":", j.predictedCarbon.grams)
            lit(",\"row\":"); try row(j.row)
            try n(",\"run_now_carbon_g\":", j.runNowCarbon.grams)
            lit(",\"slurm_job_id\":"); if let v = j.placement?.batchJobID { int(v) } else { raw("null") }
            lit(",\"started_at\":"); date(j.startedAt)
            lit(",\"state\":"); string(j.state.rawValue)
            lit(",\"submitted_at\":"); date(j.submittedAt)
            lit(",\"user\":"); string(j.user)
            out.append(125)
        }

        mutating func row(_ r: ReportRow) throws {
            try n("{\"carbon_g\":", r.carbonGrams)
            try n(",\"carbon_saved_g\":", r.carbonSavedGrams)
            try n(",\"counterfactual_carbon_g\":", r.counterfactualCarbonGrams)
            try n(",\"cpu_s\":", r.cpuSeconds)
            try n(",\"delay_s\":", r.delaySeconds)
            try n(",\"duration_s\":", r.durationSeconds)
            try n(",\"energy_error_j\":", r.energyErrorJoules)
            try n(",\"energy_error_pct\":", r.energyErrorPercent)
            try n(",\"energy_j\":", r.energyJoules)
            try n(",\"energy_kwh\":", r.energyKWh)
            try n(",\"estimated_s\":", r.estimatedSeconds)
            try n(",\"estimated_share\":", r.estimatedShare)
            try n(",\"intensity_g_per_kwh\":", r.intensityGramsPerKWh)
            lit(",\"intensity_kind\":"); text(r.intensityKind)
            lit(",\"intensity_source\":"); text(r.intensitySource)
            lit(",\"jobs\":"); int(Int64(r.jobs))
            lit(",\"key\":"); string(r.key)
            try n(",\"mean_power_w\":", r.meanPowerWatts)
            try n(",\"measured_s\":", r.measuredSeconds)
            try n(",\"measured_share\":", r.measuredShare)
            try n(",\"missing_s\":", r.missingSeconds)
            try n(",\"missing_share\":", r.missingShare)
            try n(",\"predicted_energy_j\":", r.predictedEnergyJoules)
            try n(",\"predicted_energy_of_measured_j\":", r.predictedEnergyOfMeasuredJoulesForJSON)
            out.append(125)
        }

        mutating func point(_ p: ReportTimelinePoint) throws {
            try n("{\"covered_s\":", p.coveredSeconds)
            try n(",\"duration_s\":", p.seconds)
            try n(",\"energy_j\":", p.energyJoules)
            try n(",\"forecast_g_per_kwh\":", p.forecastGramsPerKWh)
            try n(",\"intensity_g_per_kwh\":", p.intensityGramsPerKWh)
            lit(",\"start\":"); date(p.start)
            out.append(125)
        }

        mutating func totals(_ t: ReportTotals) throws {
            try n("{\"carbon_g\":", t.carbon?.grams)
            try n(",\"cpu_seconds\":", t.cpuSeconds)
            try n(",\"energy_j\":", t.energy?.joules)
            lit(",\"jobs\":"); int(Int64(t.jobs))
            out.append(125)
        }

        mutating func predictor(_ p: PredictorAccuracy) throws {
            try n("{\"duration_mape_pct\":", p.durationMAPEPercent)
            try n(",\"energy_mape_pct\":", p.energyMAPEPercent)
            lit(",\"jobs\":"); int(Int64(p.jobs))
            lit(",\"window\":"); int(Int64(p.window))
            out.append(125)
        }
    }
}
