import Foundation

/// The grid operator's own forecast in a trace file: a CSV column named `forecast` next to the
/// actuals (the NESO export, data/README.md §1.2). Pure.
public enum OperatorForecastColumn {
    /// The `forecast` column by slot start, or nil when the file has no such column (or is not CSV).
    /// Rows whose forecast is empty or not a finite non-negative number are left out (a gap).
    public static func parse(_ text: String) -> [Date: Double]? {
        var lines = text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).makeIterator()
        guard var headerLine = lines.next().map(String.init) else { return nil }
        if headerLine.hasPrefix("\u{FEFF}") { headerLine.removeFirst() }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let lower = header.map { $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }
        guard let fc = lower.firstIndex(of: "forecast"), let cols = TraceColumns(header: header), cols.value != fc else { return nil }
        var out: [Date: Double] = [:]
        while let line = lines.next() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > max(fc, cols.time), let t = ISO8601.parse(String(f[cols.time])),
                  let v = Double(f[fc].trimmingCharacters(in: .whitespacesAndNewlines)), v.isFinite, v >= 0 else { continue }
            out[t] = v
        }
        return out
    }

    /// The column laid on `grid`'s slots (nil where the file has none).
    public static func aligned(_ column: [Date: Double], to grid: IntensityGrid) -> [Double?] {
        (0..<grid.values.count).map { column[grid.time($0)] }
    }
}

/// A trace file's text made ready for the forecaster: the uniform grid of actuals and, when the
/// file has one, the operator's forecast on the same grid. Pure (the caller reads the file).
public struct ForecastTraceText: Sendable {
    public let zone: String
    public let grid: IntensityGrid
    public let operatorForecast: [Double?]?

    /// Parses CSV or JSON (by `fileName`'s extension) through `IntensityImport`, as
    /// `verdant intensity import` does. A trace whose value column names no zone (`avg_CI`,
    /// `actual`) and no `zone` given gets its file-name prefix as the zone label
    /// (`CISO_NG_&_avgCI.csv` → `CISO`); the label only names the output.
    /// - Throws: `TraceParseError` (line and what to fix); also when the slot length does not divide one hour.
    public static func parse(_ text: String, fileName: String, zone: String?) throws -> ForecastTraceText {
        let format: IntensityImportFormat = fileName.lowercased().hasSuffix(".json") ? .json : .csv
        let stem = (fileName as NSString).deletingPathExtension
        let fallbackZone = String(stem.split(separator: "_").first ?? Substring(stem))
        let parsed: IntensityImport
        do {
            parsed = try IntensityImport.parse(text, format: format, zone: zone, kind: .average, source: "eval:" + stem)
        } catch let e as TraceParseError where zone == nil && e.line == 1 && e.message.contains("--zone") {
            parsed = try IntensityImport.parse(text, format: format, zone: fallbackZone, kind: .average, source: "eval:" + stem)
        }
        let slot = Int(parsed.resolutionSeconds.rounded())
        guard slot > 0, slot <= 3600, 3600 % slot == 0 else {
            throw TraceParseError(line: 1, message: "slots of \(slot) s are not supported by the forecaster: it needs a slot that divides one hour (15 min, 30 min, 1 h)")
        }
        let grid = IntensityGrid(slots: parsed.slots, slotSeconds: slot)
        var op: [Double?]?
        if format == .csv, let column = OperatorForecastColumn.parse(text) { op = OperatorForecastColumn.aligned(column, to: grid) }
        return ForecastTraceText(zone: parsed.slots.first?.zone ?? (zone ?? fallbackZone), grid: grid, operatorForecast: op)
    }
}
