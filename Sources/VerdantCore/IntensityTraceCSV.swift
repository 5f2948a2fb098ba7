import Foundation

/// How the columns of an intensity trace CSV are found.
///
/// Time column: the first header named `time`, `timestamp`, `datetime`, `from` or `date` (any case),
/// else column 0. Value column: the first header named `intensity`, `carbon_intensity`,
/// `actual`, `avg_CI`, `gco2eq_per_kwh`, `value`, else the first column after the time column.
/// Documented in docs/configuration.md ("Intensity traces").
public struct TraceColumns: Hashable, Sendable {
    public let time: Int
    public let value: Int
    public let valueHeader: String

    static let timeNames = ["time", "timestamp", "datetime", "from", "date"]
    static let valueNames = ["intensity", "carbon_intensity", "actual", "avg_ci", "gco2eq_per_kwh", "value"]

    /// Picks the columns from a header row.
    public init?(header: [String]) {
        let lower = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let t = lower.firstIndex(where: { Self.timeNames.contains($0) }) ?? 0
        let v = lower.firstIndex(where: { Self.valueNames.contains($0) })
            ?? lower.indices.first(where: { $0 > t })
        guard let v, v != t else { return nil }
        time = t
        value = v
        valueHeader = header[v]
    }
}

/// A trace file could not be read. Each case names the line (1-based, the header is line 1) and
/// what to fix.
public struct TraceParseError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let message: String
    public init(line: Int, message: String) { self.line = line; self.message = message }
    public var description: String { "line \(line): \(message)" }
}

/// Parses a carbon-intensity trace in CSV form: a header row, then one instant and one value in
/// gCO2eq/kWh per line.
///
/// Rules: times are ISO-8601 (UTC when no offset is given); a row whose value field is empty is a
/// gap (skipped, as the source data sets mark missing hours); any other non-numeric, negative or
/// non-finite value, a time that does not parse, or a time not after the previous row's is an error
/// naming the line. Quoted fields are not used by any supported trace and are rejected.
public enum IntensityTraceCSV {
    /// - Parameter text: the whole file.
    /// - Returns: the points and the columns that were used.
    /// - Throws: `TraceParseError`.
    public static func parse(_ text: String) throws -> (points: [IntensityPoint], columns: TraceColumns) {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first, !headerLine.isEmpty else {
            throw TraceParseError(line: 1, message: "empty file: expected a header row such as 'time,intensity'")
        }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if header.count >= 1, let first = header.first, ISO8601.parse(first) != nil {
            throw TraceParseError(line: 1, message: "the first row must be a header (e.g. 'time,intensity'), found data '\(headerLine)'")
        }
        guard let cols = TraceColumns(header: header) else {
            throw TraceParseError(line: 1, message: "header '\(headerLine)' needs a time column and an intensity column")
        }
        var points: [IntensityPoint] = []
        points.reserveCapacity(lines.count)
        var previous: Date?
        for (i, line) in lines.enumerated().dropFirst() {
            let n = i + 1
            if line.trimmingCharacters(in: .whitespaces).isEmpty {
                throw TraceParseError(line: n, message: "empty line inside the trace: remove it")
            }
            if line.contains("\"") {
                throw TraceParseError(line: n, message: "quoted fields are not supported: write plain 'time,value' fields")
            }
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            guard f.count > max(cols.time, cols.value) else {
                throw TraceParseError(line: n, message: "expected at least \(max(cols.time, cols.value) + 1) comma-separated fields, found \(f.count): '\(line)'")
            }
            let timeText = String(f[cols.time])
            guard let t = ISO8601.parse(timeText) else {
                throw TraceParseError(line: n, message: "time '\(timeText)' is not ISO-8601 (e.g. 2020-06-01T12:00:00Z)")
            }
            if let p = previous, t <= p {
                throw TraceParseError(line: n, message: "time \(ISO8601.string(t)) is not after the previous row's \(ISO8601.string(p)): sort the trace and remove duplicates")
            }
            let valueText = f[cols.value].trimmingCharacters(in: .whitespaces)
            if valueText.isEmpty { previous = t; continue }
            guard let v = Double(valueText), v.isFinite, v >= 0 else {
                throw TraceParseError(line: n, message: "intensity '\(valueText)' in column '\(cols.valueHeader)' is not a non-negative number of gCO2eq/kWh")
            }
            points.append(IntensityPoint(time: t, intensity: IntensityGramsPerKWh(v)))
            previous = t
        }
        guard !points.isEmpty else {
            throw TraceParseError(line: lines.count, message: "no data rows: the trace needs at least one 'time,value' row")
        }
        return (points, cols)
    }
}
