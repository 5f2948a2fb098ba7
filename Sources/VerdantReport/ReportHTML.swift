import Foundation
import VerdantCore

/// The HTML report: one self-contained file (inline CSS and SVG, no script, no network), readable in
/// light and dark mode (`prefers-color-scheme`), with titled and described charts (`role="img"`,
/// `<title>`, `<desc>`) and real tables for screen readers and keyboards.
///
/// Elements with stable ids carry the totals, for tests and scrapers: `total-jobs`, `total-energy-j`,
/// `total-energy-kwh`, `total-carbon-g`, `total-saved-g` (text `n/a` where there is no value).
public enum ReportHTML {
    /// Most rows listed in each table (the jobs table and the rows table, whose `--by job` form has a row
    /// per job) and bars drawn; the rest are counted in a note that points to CSV and JSON, which list
    /// all. A year of 20,000 jobs as two HTML tables of 16 formatted cells each was 8 MB of text and most
    /// of the report's time (docs/performance.md).
    public static let maxJobRows = 1000
    public static let maxJobBars = 40

    /// - Parameter displayTime: how the header shows the range and the generation time (`verdant report`
    ///   passes its local-zone display; default ISO-8601 UTC). Chart axes and the job table stay UTC, as labelled.
    public static func render(_ r: EnergyReport, generatedAt: Date = Date(), displayTime: (Date) -> String = ISO8601.string) -> String {
        var h = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="color-scheme" content="light dark">
        <title>Verdant energy report \(esc(rangeText(r, displayTime)))</title>
        <style>\(css)</style></head><body>
        <header><h1>Verdant energy report</h1>
        <p>\(esc(rangeText(r, displayTime))), grouped by \(esc(r.by.rawValue)). Generated \(esc(displayTime(generatedAt))).
        <abbr title="not available">n/a</abbr> means nothing was measured, never zero.</p></header>
        <main>
        <section aria-labelledby="totals-h"><h2 id="totals-h">Totals</h2><dl class="totals">
        <div><dt>Jobs</dt><dd id="total-jobs">\(r.totals.jobs)</dd></div>
        <div><dt>Energy (J)</dt><dd id="total-energy-j">\(num(r.total.energyJoules, digits: 1))</dd></div>
        <div><dt>Energy (kWh)</dt><dd id="total-energy-kwh">\(num(r.total.energyKWh, digits: 6))</dd></div>
        <div><dt>Carbon (gCO2eq)</dt><dd id="total-carbon-g">\(num(r.total.carbonGrams, digits: 3))</dd></div>
        <div><dt>Carbon saved by waiting (gCO2eq)</dt><dd id="total-saved-g">\(num(r.total.carbonSavedGrams, digits: 3))</dd></div>
        <div><dt>Mean intensity (gCO2eq/kWh)</dt><dd>\(num(r.total.intensityGramsPerKWh, digits: 0))</dd></div>
        <div><dt>Measured share of run time</dt><dd>\(r.total.measuredShare.map { PrintfNumber.fixed($0 * 100, digits: 0) + " %" } ?? "n/a")</dd></div>
        </dl></section>
        """
        h += powerChart(r)
        h += jobBars(r)
        h += savedChart(r)
        h += forecastChart(r)
        h += rowsTable(r)
        h += jobsTable(r)
        h += "</main></body></html>\n"
        return h
    }

    static let css = """
    :root{--fg:#1b1f23;--bg:#fff;--muted:#59636e;--grid:#d0d7de;--a:#0b6e4f;--b:#b35c00;--c:#5a3fc0}
    @media (prefers-color-scheme: dark){:root{--fg:#e6edf3;--bg:#0d1117;--muted:#9198a1;--grid:#30363d;--a:#3fb950;--b:#f0883e;--c:#a371f7}}
    body{font:15px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg);margin:1.5rem auto;max-width:72rem;padding:0 1rem}
    h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
    .totals{display:flex;flex-wrap:wrap;gap:.5rem 2rem}.totals dt{color:var(--muted);font-size:.85rem}.totals dd{margin:0;font-size:1.3rem;font-variant-numeric:tabular-nums}
    svg{width:100%;height:auto;color:var(--fg)}svg text{fill:currentColor;font-size:12px}
    .grid line{stroke:var(--grid)}.axis{stroke:var(--muted)}
    .sa{stroke:var(--a);fill:none;stroke-width:2}.sb{stroke:var(--b);fill:none;stroke-width:2}.sc{stroke:var(--c);fill:none;stroke-width:2;stroke-dasharray:6 3}
    .fa,.da{fill:var(--a)}.fb,.db{fill:var(--b)}.dc{fill:var(--c)}
    .legend{font-size:.9rem;color:var(--muted)}.key-a{color:var(--a)}.key-b{color:var(--b)}.key-c{color:var(--c)}
    table{border-collapse:collapse;font-variant-numeric:tabular-nums;font-size:.9rem}th,td{padding:.2rem .6rem;border-bottom:1px solid var(--grid)}
    td.n,th.n{text-align:right}caption{text-align:left;color:var(--muted);padding:.3rem 0}
    .scroll{overflow-x:auto}:focus{outline:2px solid var(--c)}
    """

    // MARK: Charts

    struct Series {
        var name: String
        var cls: String
        var points: [(x: Double, y: Double?)]
        var right: Bool
    }

    static let width = 900.0, height = 300.0, left = 70.0, right = 70.0, top = 20.0, bottom = 45.0

    /// A line chart with a time x axis and one or two y axes; gaps where a value is missing.
    static func lineChart(id: String, title: String, desc: String, series: [Series], leftLabel: String, rightLabel: String?) -> String {
        let xs = series.flatMap { $0.points.map(\.x) }
        guard let x0 = xs.min(), let x1 = xs.max(), x1 > x0 else {
            return "<p>\(esc(title)): no data in this range.</p>"
        }
        func yRange(_ right: Bool) -> (Double, Double) {
            let ys = series.filter { $0.right == right }.flatMap { $0.points.compactMap(\.y) }
            guard let lo = ys.min(), let hi = ys.max() else { return (0, 1) }
            let a = min(0, lo), b = hi > a ? hi : a + 1
            return (a, niceCeil(b))
        }
        let (l0, l1) = yRange(false), (r0, r1) = yRange(true)
        let pw = width - left - right, ph = height - top - bottom
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * pw }
        func py(_ y: Double, _ right: Bool) -> Double {
            let (a, b) = right ? (r0, r1) : (l0, l1)
            return top + ph - (y - a) / (b - a) * ph
        }
        var s = "<svg id=\"\(id)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-labelledby=\"\(id)-t \(id)-d\">"
        s += "<title id=\"\(id)-t\">\(esc(title))</title><desc id=\"\(id)-d\">\(esc(desc))</desc><g class=\"grid\">"
        for k in 0...4 {
            let y = top + ph * Double(k) / 4
            s += "<line x1=\"\(f(left))\" x2=\"\(f(left + pw))\" y1=\"\(f(y))\" y2=\"\(f(y))\"/>"
            s += "<text x=\"\(f(left - 6))\" y=\"\(f(y + 4))\" text-anchor=\"end\">\(tick(l1 - (l1 - l0) * Double(k) / 4))</text>"
            if rightLabel != nil {
                s += "<text x=\"\(f(left + pw + 6))\" y=\"\(f(y + 4))\">\(tick(r1 - (r1 - r0) * Double(k) / 4))</text>"
            }
        }
        s += "</g>"
        for k in 0...4 {
            let x = x0 + (x1 - x0) * Double(k) / 4
            let label = ISO8601.string(Date(timeIntervalSince1970: x)).prefix(16).replacingOccurrences(of: "T", with: " ")
            s += "<text x=\"\(f(px(x)))\" y=\"\(f(top + ph + 18))\" text-anchor=\"middle\">\(esc(label))</text>"
        }
        s += "<text x=\"\(f(left + pw / 2))\" y=\"\(f(height - 6))\" text-anchor=\"middle\">time (UTC)</text>"
        s += "<text transform=\"translate(14 \(f(top + ph / 2))) rotate(-90)\" text-anchor=\"middle\">\(esc(leftLabel))</text>"
        if let rightLabel {
            s += "<text transform=\"translate(\(f(width - 8)) \(f(top + ph / 2))) rotate(90)\" text-anchor=\"middle\">\(esc(rightLabel))</text>"
        }
        s += "<line class=\"axis\" x1=\"\(f(left))\" x2=\"\(f(left))\" y1=\"\(f(top))\" y2=\"\(f(top + ph))\"/>"
        for se in series {
            var d = "", dots = "", pen = false
            for (i, p) in se.points.enumerated() {
                guard let y = p.y else { pen = false; continue }
                d += (pen ? "L" : "M") + "\(f(px(p.x))) \(f(py(y, se.right)))"
                // A value with no neighbour would be an invisible path: draw it as a dot.
                if !pen && (i + 1 == se.points.count || se.points[i + 1].y == nil) {
                    dots += "<circle cx=\"\(f(px(p.x)))\" cy=\"\(f(py(y, se.right)))\" r=\"3\"/>"
                }
                pen = true
            }
            s += "<path class=\"\(se.cls)\" d=\"\(d)\"><title>\(esc(se.name))</title></path>"
            if !dots.isEmpty { s += "<g class=\"d\(se.cls.dropFirst())\">\(dots)</g>" }
        }
        s += "</svg>"
        let legend = series.map { "<span class=\"key-\($0.cls.dropFirst())\">━ \(esc($0.name))</span>" }.joined(separator: " ")
        return "<p class=\"legend\">\(legend)</p>" + s
    }

    static func powerChart(_ r: EnergyReport) -> String {
        let t = r.timeline
        let power = Series(name: "node power (W, left axis)", cls: "sa",
                           points: t.map { ($0.start.timeIntervalSince1970 + $0.seconds / 2, $0.powerWatts) }, right: false)
        let intensity = Series(name: "grid intensity (gCO2eq/kWh, right axis)", cls: "sb",
                               points: t.map { ($0.start.timeIntervalSince1970 + $0.seconds / 2, $0.intensityGramsPerKWh) }, right: true)
        let mean = t.compactMap(\.powerWatts)
        let desc = mean.isEmpty ? "No node energy was stored in this range."
            : String(format: "Node power from %.1f W to %.1f W over %d buckets of %.0f s, with grid intensity on the right axis.",
                     mean.min()!, mean.max()!, t.count, t.first?.seconds ?? 0)
        return "<section aria-labelledby=\"power-h\"><h2 id=\"power-h\">Node power and grid intensity</h2>"
            + lineChart(id: "chart-power", title: "Node power and grid intensity over time", desc: desc, series: [power, intensity],
                        leftLabel: "power (W)", rightLabel: "intensity (gCO2eq/kWh)") + "</section>"
    }

    static func jobBars(_ r: EnergyReport) -> String {
        // The jobs with energy, most first (ties by id, as a stable sort of the id-ordered jobs gives);
        // (energy, index) pairs are sorted rather than the jobs themselves, which are large to move.
        var order: [(e: Double, i: Int)] = []
        order.reserveCapacity(r.jobs.count)
        for (i, j) in r.jobs.enumerated() { if let e = j.energy?.joules { order.append((e, i)) } }
        order.sort { $0.e > $1.e || ($0.e == $1.e && $0.i < $1.i) }
        let jobs = order  // for the count below
        let shown = order.prefix(maxJobBars).map { r.jobs[$0.i] }
        var s = "<section aria-labelledby=\"bars-h\"><h2 id=\"bars-h\">Energy and carbon per job</h2>"
        guard !shown.isEmpty else { return s + "<p>No job with energy in this range.</p></section>" }
        if jobs.count > shown.count { s += "<p>The \(shown.count) jobs with the most energy of \(jobs.count).</p>" }
        let rowH = 22.0, labelW = 170.0, barW = (width - labelW - 20) / 2
        let h = Double(shown.count) * rowH + 40
        let maxE = shown.compactMap { $0.energy?.joules }.max() ?? 1
        let maxC = max(shown.compactMap { $0.carbon?.grams }.max() ?? 1, 1e-12)
        s += "<p class=\"legend\"><span class=\"key-a\">■ energy (J)</span> <span class=\"key-b\">■ carbon (gCO2eq)</span></p>"
        s += "<svg id=\"chart-jobs\" viewBox=\"0 0 \(Int(width)) \(Int(h))\" role=\"img\" aria-labelledby=\"chart-jobs-t chart-jobs-d\">"
        s += "<title id=\"chart-jobs-t\">Energy and carbon per job</title><desc id=\"chart-jobs-d\">Horizontal bars, energy in joules on the left half, carbon in grams CO2eq on the right half, one row per job; the table below lists the same values.</desc>"
        s += "<text x=\"\(f(labelW))\" y=\"14\">energy (J)</text><text x=\"\(f(labelW + barW + 10))\" y=\"14\">carbon (gCO2eq)</text>"
        for (k, j) in shown.enumerated() {
            let y = 24 + Double(k) * rowH
            let e = j.energy?.joules ?? 0, c = j.carbon?.grams
            s += "<text x=\"\(f(labelW - 6))\" y=\"\(f(y + 14))\" text-anchor=\"end\">\(esc(String(j.id) + " " + String(j.name.prefix(18))))</text>"
            s += "<rect class=\"fa\" x=\"\(f(labelW))\" y=\"\(f(y + 3))\" width=\"\(f(max(1, e / maxE * (barW - 60))))\" height=\"14\"><title>\(esc(ReportText.compact(e))) J</title></rect>"
            s += "<text x=\"\(f(labelW + max(1, e / maxE * (barW - 60)) + 4))\" y=\"\(f(y + 14))\">\(ReportText.compact(e))</text>"
            if let c {
                let w = max(1, c / maxC * (barW - 60))
                s += "<rect class=\"fb\" x=\"\(f(labelW + barW + 10))\" y=\"\(f(y + 3))\" width=\"\(f(w))\" height=\"14\"><title>\(esc(ReportText.compact(c))) g</title></rect>"
                s += "<text x=\"\(f(labelW + barW + 14 + w))\" y=\"\(f(y + 14))\">\(ReportText.compact(c))</text>"
            }
        }
        return s + "</svg></section>"
    }

    static func savedChart(_ r: EnergyReport) -> String {
        var total = 0.0
        // In end order (ties in id order, as a stable sort gives), sorting (end, saved, index) triples.
        var ends: [(end: Date, saved: Double, i: Int)] = []
        ends.reserveCapacity(r.jobs.count)
        for (i, j) in r.jobs.enumerated() {
            if let saved = j.row.carbonSavedGrams, let end = j.endedAt { ends.append((end, saved, i)) }
        }
        ends.sort { $0.end < $1.end || ($0.end == $1.end && $0.i < $1.i) }
        let pts: [(x: Double, y: Double?)] = ends.map { e in
            total += e.saved
            return (e.end.timeIntervalSince1970, total)
        }
        let desc = pts.isEmpty ? "No job has both its carbon and a counterfactual." :
            String(format: "Cumulative carbon saved by waiting for cleaner hours, reaching %.3f g over %d jobs.", total, pts.count)
        return "<section aria-labelledby=\"saved-h\"><h2 id=\"saved-h\">Carbon saved over time</h2>"
            + lineChart(id: "chart-saved", title: "Cumulative carbon saved vs starting at submission", desc: desc,
                        series: [Series(name: "carbon saved (gCO2eq, cumulative)", cls: "sa", points: pts, right: false)],
                        leftLabel: "saved (gCO2eq)", rightLabel: nil) + "</section>"
    }

    static func forecastChart(_ r: EnergyReport) -> String {
        let t = r.timeline
        let actual = Series(name: "actual intensity (gCO2eq/kWh)", cls: "sb",
                            points: t.map { ($0.start.timeIntervalSince1970 + $0.seconds / 2, $0.intensityGramsPerKWh) }, right: false)
        let forecast = Series(name: "forecast intensity (gCO2eq/kWh)", cls: "sc",
                              points: t.map { ($0.start.timeIntervalSince1970 + $0.seconds / 2, $0.forecastGramsPerKWh) }, right: false)
        let hasForecast = t.contains { $0.forecastGramsPerKWh != nil }
        let desc = hasForecast ? "Forecast intensity (dashed) against the intensity in force (solid)."
            : "No forecast is stored for this range; only the intensity in force is drawn."
        return "<section aria-labelledby=\"fc-h\"><h2 id=\"fc-h\">Forecast vs actual intensity</h2>"
            + lineChart(id: "chart-forecast", title: "Forecast and actual grid intensity", desc: desc,
                        series: hasForecast ? [actual, forecast] : [actual], leftLabel: "intensity (gCO2eq/kWh)", rightLabel: nil)
            + "</section>"
    }

    // MARK: Tables

    static let rowHeader = ["key", "jobs", "energy (J)", "energy (kWh)", "mean power (W)", "CPU (s)", "carbon (gCO2eq)",
                            "intensity (gCO2eq/kWh)", "intensity source", "measured", "estimated", "missing",
                            "predicted (J)", "error (%)", "saved (gCO2eq)", "delay (h)"]

    static func rowCells(_ row: ReportRow) -> [String] {
        func pct(_ v: Double?) -> String { v.map { PrintfNumber.fixed($0 * 100, digits: 0) + " %" } ?? "n/a" }
        return [esc(row.key), String(row.jobs), num(row.energyJoules, digits: 1), num(row.energyKWh, digits: 6),
                num(row.meanPowerWatts, digits: 2), num(row.cpuSeconds, digits: 1), num(row.carbonGrams, digits: 4),
                num(row.intensityGramsPerKWh, digits: 0),
                esc([row.intensitySource, row.intensityKind].compactMap { $0 }.joined(separator: ", ").nonEmpty ?? "n/a"),
                pct(row.measuredShare), pct(row.estimatedShare), pct(row.missingShare), num(row.predictedEnergyJoules, digits: 1),
                num(row.energyErrorPercent, digits: 0), num(row.carbonSavedGrams, digits: 4), num(row.delaySeconds.map { $0 / 3600 }, digits: 2)]
    }

    static func rowsTable(_ r: EnergyReport) -> String {
        var s = "<section aria-labelledby=\"rows-h\"><h2 id=\"rows-h\">By \(esc(r.by.rawValue))</h2>"
        // At most `maxJobRows` rows (the last ones: the newest jobs, days or weeks); the totals row is over all.
        let shown = r.rows.suffix(maxJobRows)
        if shown.count < r.rows.count {
            s += "<p id=\"rows-note\">The last \(shown.count) of \(r.rows.count) rows; the totals row covers all \(r.rows.count). The CSV and JSON formats list every row.</p>"
        }
        s += "<div class=\"scroll\" tabindex=\"0\">"
        s += "<table id=\"rows\"><caption>One row per \(esc(r.by.rawValue)); the last row holds the totals.</caption><thead><tr>"
        s += rowHeader.enumerated().map { "<th scope=\"col\"\($0.offset >= 1 && $0.offset != 8 ? " class=\"n\"" : "")>\(esc($0.element))</th>" }.joined()
        s += "</tr></thead><tbody>"
        for row in shown { s += tr(rowCells(row), th: false) }
        s += "</tbody><tfoot>" + tr(rowCells(r.total), th: true) + "</tfoot></table></div></section>"
        return s
    }

    static func tr(_ cells: [String], th: Bool) -> String {
        "<tr>" + cells.enumerated().map { i, c in
            i == 0 ? "<th scope=\"row\">\(c)</th>" : "<td\(i != 8 ? " class=\"n\"" : "")>\(c)</td>"
        }.joined() + "</tr>"
    }

    static func jobsTable(_ r: EnergyReport) -> String {
        var s = "<section aria-labelledby=\"jobs-h\"><h2 id=\"jobs-h\">Jobs</h2>"
        guard !r.jobs.isEmpty else { return s + "<p>No finished job started in this range.</p></section>" }
        let shown = r.jobs.suffix(maxJobRows)
        if shown.count < r.jobs.count { s += "<p>The newest \(shown.count) of \(r.jobs.count) jobs; the CSV and JSON formats list all.</p>" }
        s += "<div class=\"scroll\" tabindex=\"0\"><table id=\"jobs\"><caption>Finished jobs, by id.</caption><thead><tr>"
        for (i, c) in ["id", "name", "kind", "state", "user", "started (UTC)", "run (s)", "energy (J)", "source", "carbon (gCO2eq)",
                       "predicted (J)", "error (%)", "saved (gCO2eq)", "delay (h)", "where"].enumerated() {
            s += "<th scope=\"col\"\([0, 6, 7, 9, 10, 11, 12, 13].contains(i) ? " class=\"n\"" : "")>\(c)</th>"
        }
        s += "</tr></thead><tbody>"
        for j in shown {
            s += "<tr><th scope=\"row\" class=\"n\">\(j.id)</th><td>\(esc(j.name))</td><td>\(j.kind.rawValue)</td><td>\(j.state.rawValue)</td>"
            s += "<td>\(esc(j.user))</td><td>\(j.startedAt.map { esc(String(ReportDate.iso($0).prefix(19))) } ?? "n/a")</td>"
            s += "<td class=\"n\">\(num(j.row.durationSeconds, digits: 1))</td><td class=\"n\">\(num(j.energy?.joules, digits: 2))</td>"
            s += "<td>\(j.energySource.rawValue)</td><td class=\"n\">\(num(j.carbon?.grams, digits: 4))</td>"
            s += "<td class=\"n\">\(num(j.row.predictedEnergyJoules, digits: 1))</td><td class=\"n\">\(num(j.row.energyErrorPercent, digits: 0))</td>"
            s += "<td class=\"n\">\(num(j.row.carbonSavedGrams, digits: 4))</td><td class=\"n\">\(num(j.row.delaySeconds.map { $0 / 3600 }, digits: 2))</td>"
            s += "<td>\(esc(ReportPlacement.whereCell(j)))</td></tr>"
        }
        return s + "</tbody></table></div></section>"
    }

    // MARK: Helpers

    static func rangeText(_ r: EnergyReport, _ displayTime: (Date) -> String = ISO8601.string) -> String {
        "from \(r.since.map(displayTime) ?? "the first record") to \(r.until.map(displayTime) ?? "now")"
    }

    static func num(_ v: Double?, digits: Int) -> String { v.map { PrintfNumber.fixed($0, digits: digits) } ?? "n/a" }

    static func f(_ v: Double) -> String { PrintfNumber.fixed(v, digits: 1) }

    static func tick(_ v: Double) -> String { ReportText.compact(v) }

    static func niceCeil(_ v: Double) -> Double {
        guard v > 0 else { return 1 }
        let p = pow(10, floor(log10(v)))
        for m in [1.0, 2, 2.5, 5, 10] where m * p >= v { return m * p }
        return 10 * p
    }

    /// Escapes text for HTML content and attribute values.
    public static func esc<S: StringProtocol>(_ s: S) -> String {
        var out = ""
        out.reserveCapacity(s.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}

extension String {
    var nonEmpty: String? { isEmpty ? nil : self }
}
