import Foundation

/// The file formats `verdant intensity import` and the `file` provider read.
public enum IntensityImportFormat: String, Sendable, Codable, CaseIterable {
    /// A CSV trace: columns as `TraceColumns` finds them, plus an optional `to` column (slot end).
    case csv
    /// A JSON trace: verdant's own point list, or Carbon Aware SDK emissions data (see `IntensityImport`).
    case json
}

/// A parsed intensity file: one slot per data row (a row with an empty value becomes a slot without
/// a value), and every gap, reported.
public struct IntensityImport: Sendable {
    /// The slots, in time order.
    public let slots: [IntensitySlot]
    /// Every missing stretch: rows without a value (`null-value`) and holes between rows
    /// (`missing-slot`), each with the line where it was seen.
    public let gaps: [IntensityGap]
    /// The slot length (s) used where the file gives none: the most common spacing between rows.
    public let resolutionSeconds: Double
    /// A description of the columns or fields used, e.g. `time=from, end=to, value=actual`.
    public let mapping: String

    /// Slots with a value.
    public var knownCount: Int { slots.filter { $0.value != nil }.count }

    /// Value-column headers that name a measure rather than a zone; with one of these the zone must be given.
    static let genericValueHeaders: Set<String> = ["intensity", "carbon_intensity", "actual", "avg_ci", "gco2eq_per_kwh", "value"]

    /// Parses a whole file.
    ///
    /// CSV: as `IntensityTraceCSV` (header row, ISO-8601 times, UTC without offset, increasing
    /// times, empty value = missing, quoted fields refused), plus: a column named `to` gives each
    /// slot's end (NESO exports); otherwise every slot lasts the most common spacing between rows.
    /// A spacing longer than a slot is a hole, reported as a gap.
    ///
    /// JSON: either a list of `{"start", "duration_s", "gco2_per_kwh" (null = missing), "kind"?,
    /// "issued_at"?, "zone"?}` (the shape `verdant intensity --json` prints), or Carbon Aware SDK
    /// emissions data: a list of `{"Location", "Time", "Rating", "Duration"?}` or an object with such
    /// a list under `Emissions` (`Rating` a number or a numeric string, `Duration` `hh:mm[:ss]`).
    ///
    /// - Parameters:
    ///   - text: the whole file.
    ///   - format: csv or json.
    ///   - zone: the zone to store; `nil` = the CSV value-column header when it names a zone (`DE`),
    ///     or the JSON points' own `zone`/`Location`.
    ///   - kind: average or marginal (a JSON point's own `kind` must agree).
    ///   - source: stored with every slot, e.g. `import:carbon_intensity.csv`.
    /// - Throws: `TraceParseError` naming the line (1-based) and what to fix; nothing is returned
    ///   for a file with any bad row.
    public static func parse(_ text: String, format: IntensityImportFormat, zone: String?,
                             kind: IntensitySignalKind, source: String) throws -> IntensityImport {
        switch format {
        case .csv: return try parseCSV(text, zone: zone, kind: kind, source: source)
        case .json: return try parseJSON(text, zone: zone, kind: kind, source: source)
        }
    }

    /// The most common spacing (s) between consecutive times; 3600 for fewer than two.
    public static func modeSpacing(_ times: [Date]) -> Double {
        var counts: [Double: Int] = [:]
        for i in times.indices.dropFirst() { counts[times[i].timeIntervalSince(times[i - 1]), default: 0] += 1 }
        return counts.max { a, b in a.value != b.value ? a.value < b.value : a.key > b.key }?.key ?? 3600
    }

    static func gaps(of slots: [IntensitySlot], lines: [Int]) -> [IntensityGap] {
        var out: [IntensityGap] = []
        for (i, s) in slots.enumerated() {
            if i > 0, slots[i - 1].end < s.start {
                out.append(IntensityGap(start: slots[i - 1].end, end: s.start, reason: "missing-slot", line: lines[i]))
            }
            if s.value == nil { out.append(IntensityGap(start: s.start, end: s.end, reason: "null-value", line: lines[i])) }
        }
        return out
    }

    static func parseCSV(_ text: String, zone: String?, kind: IntensitySignalKind, source: String) throws -> IntensityImport {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map {
            $0.hasSuffix("\r") ? String($0.dropLast()) : String($0)
        }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard var headerLine = lines.first, !headerLine.isEmpty else {
            throw TraceParseError(line: 1, message: "empty file: expected a header row such as 'time,intensity'")
        }
        if headerLine.hasPrefix("\u{FEFF}") { headerLine.removeFirst() }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if let first = header.first, ISO8601.parse(first) != nil {
            throw TraceParseError(line: 1, message: "the first row must be a header (e.g. 'time,intensity'), found data '\(headerLine)'")
        }
        guard let cols = TraceColumns(header: header) else {
            throw TraceParseError(line: 1, message: "header '\(headerLine)' needs a time column and an intensity column")
        }
        let lower = header.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let endCol = lower.firstIndex(of: "to")
        let zoneName: String
        if let zone, !zone.isEmpty {
            zoneName = zone
        } else if !genericValueHeaders.contains(cols.valueHeader.trimmingCharacters(in: .whitespaces).lowercased()) {
            zoneName = cols.valueHeader.trimmingCharacters(in: .whitespaces)
        } else {
            throw TraceParseError(line: 1, message: "the value column '\(cols.valueHeader)' does not name a grid zone: give --zone (e.g. --zone GB)")
        }
        var rows: [(line: Int, start: Date, end: Date?, value: IntensityGramsPerKWh?)] = []
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
            let needed = max(cols.time, cols.value, endCol ?? 0) + 1
            guard f.count >= needed else {
                throw TraceParseError(line: n, message: "expected at least \(needed) comma-separated fields, found \(f.count): '\(line)'")
            }
            let timeText = String(f[cols.time])
            guard let t = ISO8601.parse(timeText) else {
                throw TraceParseError(line: n, message: "time '\(timeText)' in column '\(header[cols.time])' is not ISO-8601 (e.g. 2020-06-01T12:00:00Z)")
            }
            if let p = previous, t <= p {
                throw TraceParseError(line: n, message: "time \(ISO8601.string(t)) is not after the previous row's \(ISO8601.string(p)): sort the trace and remove duplicates")
            }
            var end: Date?
            if let endCol {
                let endText = String(f[endCol])
                guard let e = ISO8601.parse(endText), e > t else {
                    throw TraceParseError(line: n, message: "end time '\(endText)' in column 'to' is not an ISO-8601 instant after '\(timeText)'")
                }
                end = e
            }
            let valueText = f[cols.value].trimmingCharacters(in: .whitespaces)
            var value: IntensityGramsPerKWh?
            if !valueText.isEmpty {
                guard let v = Double(valueText), v.isFinite, v >= 0 else {
                    throw TraceParseError(line: n, message: "intensity '\(valueText)' in column '\(cols.valueHeader)' is not a non-negative number of gCO2eq/kWh (leave it empty for a missing value)")
                }
                value = IntensityGramsPerKWh(v)
            }
            rows.append((n, t, end, value))
            previous = t
        }
        guard !rows.isEmpty else {
            throw TraceParseError(line: max(lines.count, 1), message: "no data rows: the trace needs at least one 'time,value' row")
        }
        let resolution = modeSpacing(rows.map(\.start))
        var slots: [IntensitySlot] = []
        slots.reserveCapacity(rows.count)
        for (k, r) in rows.enumerated() {
            var d = r.end.map { $0.timeIntervalSince(r.start) } ?? resolution
            if k + 1 < rows.count { d = min(d, rows[k + 1].start.timeIntervalSince(r.start)) }
            slots.append(IntensitySlot(zone: zoneName, start: r.start, durationSeconds: d, value: r.value, kind: kind, source: source))
        }
        let mapping = "time=\(header[cols.time])" + (endCol.map { ", end=\(header[$0])" } ?? ", slot=\(Int(resolution)) s")
            + ", value=\(cols.valueHeader)"
        return IntensityImport(slots: slots, gaps: gaps(of: slots, lines: rows.map(\.line)), resolutionSeconds: resolution, mapping: mapping)
    }

    /// 1-based line of each top-level element of a JSON array (found by tracking nesting outside strings).
    static func elementLines(_ text: String, arrayDepth: Int) -> [Int] {
        var out: [Int] = []
        var line = 1, depth = 0, inString = false, escaped = false
        for c in text.unicodeScalars {
            if c == "\n" { line += 1 }
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
                continue
            }
            switch c {
            case "\"": inString = true
            case "{", "[":
                if depth == arrayDepth && c == "{" { out.append(line) }
                depth += 1
            case "}", "]": depth -= 1
            default: break
            }
        }
        return out
    }

    static func parseJSON(_ text: String, zone: String?, kind: IntensitySignalKind, source: String) throws -> IntensityImport {
        var body = text
        if body.hasPrefix("\u{FEFF}") { body.removeFirst() }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: Data(body.utf8))
        } catch {
            throw TraceParseError(line: 1, message: "not valid JSON (\((error as NSError).userInfo[NSDebugDescriptionErrorKey] ?? error)): a JSON trace is a list of points")
        }
        var elements: [Any]
        var depth = 1
        if let list = root as? [Any] {
            elements = list
        } else if let object = root as? [String: Any], let list = object["Emissions"] as? [Any] {
            elements = list
            depth = 2
        } else {
            throw TraceParseError(line: 1, message: "expected a JSON list of points ([{\"start\": …, \"duration_s\": …, \"gco2_per_kwh\": …}]) or Carbon Aware SDK emissions data")
        }
        let lines = elementLines(body, arrayDepth: depth)
        func lineOf(_ i: Int) -> Int { i < lines.count ? lines[i] : 1 }
        var raw: [(line: Int, start: Date, duration: Double?, value: IntensityGramsPerKWh?, zone: String?, issued: Date?)] = []
        for (i, e) in elements.enumerated() {
            let n = lineOf(i)
            guard let o = e as? [String: Any] else {
                throw TraceParseError(line: n, message: "point \(i + 1) is not an object")
            }
            func field(_ names: String...) -> (String, Any)? {
                for k in names { if let v = o[k] { return (k, v) } }
                return nil
            }
            guard let (tk, tv) = field("start", "Time", "time", "timestamp"), let ts = tv as? String, let t = ISO8601.parse(ts) else {
                throw TraceParseError(line: n, message: "point \(i + 1): 'start' (or 'Time') must be an ISO-8601 instant")
            }
            _ = tk
            var value: IntensityGramsPerKWh?
            if let (vk, vv) = field("gco2_per_kwh", "Rating", "rating", "value") {
                if vv is NSNull {
                    value = nil
                } else if let d = (vv as? NSNumber)?.doubleValue ?? (vv as? String).flatMap(Double.init), d.isFinite, d >= 0,
                          type(of: vv) != Bool.self {
                    value = IntensityGramsPerKWh(d)
                } else {
                    throw TraceParseError(line: n, message: "point \(i + 1): '\(vk)' must be a non-negative number of gCO2eq/kWh or null, got '\(vv)'")
                }
            } else {
                throw TraceParseError(line: n, message: "point \(i + 1): no 'gco2_per_kwh' (or 'Rating'): write null for a missing value")
            }
            var duration: Double?
            if let (dk, dv) = field("duration_s", "Duration") {
                if let d = (dv as? NSNumber)?.doubleValue, d > 0 {
                    duration = d
                } else if let s = dv as? String, let d = Self.clockDuration(s), d > 0 {
                    duration = d
                } else {
                    throw TraceParseError(line: n, message: "point \(i + 1): '\(dk)' must be a positive number of seconds (or hh:mm[:ss] for 'Duration'), got '\(dv)'")
                }
            }
            if let k = o["kind"] as? String, k != kind.rawValue {
                throw TraceParseError(line: n, message: "point \(i + 1) is '\(k)' but the import is '\(kind.rawValue)': give --kind \(k); a series never mixes signal kinds")
            }
            var issued: Date?
            if let iv = o["issued_at"], !(iv is NSNull) {
                guard let s = iv as? String, let d = ISO8601.parse(s) else {
                    throw TraceParseError(line: n, message: "point \(i + 1): 'issued_at' must be an ISO-8601 instant or null")
                }
                issued = d
            }
            let z = (o["zone"] as? String) ?? (o["Location"] as? String)
            raw.append((n, t, duration, value, z, issued))
        }
        guard !raw.isEmpty else { throw TraceParseError(line: 1, message: "no points: the list is empty") }
        let zones = Set(raw.compactMap(\.zone))
        let zoneName: String
        if let zone, !zone.isEmpty {
            zoneName = zone
            // Keep the points of the given zone (Carbon Aware SDK data names several); points that name
            // another zone are never relabelled as this one.
            raw = raw.filter { $0.zone == nil || $0.zone == zone }
            guard !raw.isEmpty else {
                throw TraceParseError(line: 1, message: "no point has zone '\(zone)'; the file has \(zones.sorted().joined(separator: ", "))")
            }
        } else if zones.count == 1, let z = zones.first {
            zoneName = z
        } else {
            throw TraceParseError(line: 1, message: zones.isEmpty ? "the points name no zone: give --zone" : "the points name several zones (\(zones.sorted().joined(separator: ", "))): import one zone at a time with --zone")
        }
        for k in raw.indices.dropFirst() where raw[k].start <= raw[k - 1].start {
            throw TraceParseError(line: raw[k].line, message: "point at \(ISO8601.string(raw[k].start)) is not after the previous point's \(ISO8601.string(raw[k - 1].start)): sort the points and remove duplicates")
        }
        let resolution = modeSpacing(raw.map(\.start))
        var slots: [IntensitySlot] = []
        for (k, r) in raw.enumerated() {
            var d = r.duration ?? resolution
            if k + 1 < raw.count, let given = r.duration, given > raw[k + 1].start.timeIntervalSince(r.start) + 1e-6 {
                throw TraceParseError(line: r.line, message: "point at \(ISO8601.string(r.start)) lasts \(Int(given)) s and overlaps the next point at \(ISO8601.string(raw[k + 1].start)): fix duration_s")
            }
            if k + 1 < raw.count { d = min(d, raw[k + 1].start.timeIntervalSince(r.start)) }
            slots.append(IntensitySlot(zone: zoneName, start: r.start, durationSeconds: d, value: r.value, kind: kind,
                                       source: source, issuedAt: r.issued))
        }
        return IntensityImport(slots: slots, gaps: gaps(of: slots, lines: raw.map(\.line)), resolutionSeconds: resolution,
                               mapping: "start, duration_s (else \(Int(resolution)) s), gco2_per_kwh")
    }

    /// `hh:mm` or `hh:mm:ss` (the Carbon Aware SDK's `Duration`) in seconds.
    static func clockDuration(_ s: String) -> Double? {
        let p = s.split(separator: ":").map { Double($0) }
        guard p.count == 2 || p.count == 3, p.allSatisfy({ $0 != nil }) else { return nil }
        let v = p.map { $0! }
        return v[0] * 3600 + v[1] * 60 + (p.count == 3 ? v[2] : 0)
    }
}
