import Foundation

/// One job of a simulation scenario (`verdant simulate --jobs FILE`).
public struct ScenarioJob: Hashable, Sendable {
    /// The file's `job_id`.
    public var name: String
    public var submittedAt: Date
    public var durationSeconds: Double
    public var deadline: Date
    /// Mean power (W): given, or energy ÷ duration.
    public var powerWatts: Double
    /// The file's `interruptible` column; nil when the file has none (then `--interruptible` decides).
    public var interruptible: Bool?
    /// 1-based line in the file, for messages.
    public var line: Int
}

/// Error in a scenario file: the line (1-based, header = 1), the field, and what to fix.
public struct ScenarioParseError: Error, Equatable, CustomStringConvertible {
    public let line: Int
    public let field: String?
    public let message: String
    public init(line: Int, field: String?, message: String) {
        self.line = line
        self.field = field
        self.message = message
    }
    public var description: String { "line \(line)\(field.map { ", field '\($0)'" } ?? ""): \(message)" }
}

/// The job-arrival CSV of `verdant simulate` (documented in docs/scheduling.md).
///
/// A header row, then one job a line. Columns, by header name (any order, any case):
/// - `job_id` (or `name`): a label;
/// - `submit_utc` (or `submit`): ISO-8601 instant of submission;
/// - `duration_minutes`, `duration_s` or `duration_h`: run time, > 0;
/// - `deadline_utc` (or `deadline`): ISO-8601 instant by which it must finish, ≥ submit + duration;
/// - `power_watts` (W), or `energy_kwh` / `energy_j` (total energy; power = energy ÷ duration);
/// - `interruptible` (optional): `true`/`false`/`1`/`0`/`yes`/`no`.
/// This is the format of `shared/data/scenarios/lwa-ml-jobs-2020.csv`, read as it is.
public enum ScenarioJobsCSV {
    /// - Throws: `ScenarioParseError` for a missing column, an unparsable field, a non-positive
    ///   duration or power, or a deadline earlier than submission + duration.
    public static func parse(_ text: String) throws -> [ScenarioJob] {
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
            .map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty { lines.removeLast() }
        guard let headerLine = lines.first else {
            throw ScenarioParseError(line: 1, field: nil, message: "empty file: expected a header such as 'job_id,submit_utc,duration_minutes,deadline_utc,power_watts'")
        }
        let header = headerLine.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ names: [String]) -> Int? { header.firstIndex { names.contains($0) } }
        let idCol = column(["job_id", "name", "id"])
        guard let submitCol = column(["submit_utc", "submit", "submitted_at"]) else {
            throw ScenarioParseError(line: 1, field: "submit_utc", message: "no submission column: add 'submit_utc' (ISO-8601)")
        }
        guard let deadlineCol = column(["deadline_utc", "deadline"]) else {
            throw ScenarioParseError(line: 1, field: "deadline_utc", message: "no deadline column: add 'deadline_utc' (ISO-8601)")
        }
        let durationCols: [(String, Double)] = [("duration_minutes", 60), ("duration_s", 1), ("duration_h", 3600)]
        guard let (durationCol, durationScale) = durationCols.compactMap({ n, s in column([n]).map { ($0, s) } }).first else {
            throw ScenarioParseError(line: 1, field: "duration_minutes", message: "no duration column: add 'duration_minutes', 'duration_s' or 'duration_h'")
        }
        let powerCol = column(["power_watts", "power_w"])
        let energyCols: [(String, Double)] = [("energy_kwh", 3_600_000), ("energy_j", 1)]
        let energyCol = energyCols.compactMap { n, s in column([n]).map { ($0, s) } }.first
        guard powerCol != nil || energyCol != nil else {
            throw ScenarioParseError(line: 1, field: "power_watts", message: "no power or energy column: add 'power_watts', 'energy_kwh' or 'energy_j'")
        }
        let interruptibleCol = column(["interruptible"])
        var jobs: [ScenarioJob] = []
        jobs.reserveCapacity(lines.count)
        for (i, line) in lines.enumerated().dropFirst() {
            let n = i + 1
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == header.count else {
                throw ScenarioParseError(line: n, field: nil, message: "expected \(header.count) comma-separated fields as in the header, found \(f.count)")
            }
            func time(_ c: Int) throws -> Date {
                guard let t = ISO8601.parse(f[c]) else {
                    throw ScenarioParseError(line: n, field: header[c], message: "'\(f[c])' is not an ISO-8601 instant (e.g. 2020-01-01T09:30:00Z)")
                }
                return t
            }
            func positive(_ c: Int, scale: Double) throws -> Double {
                guard let v = Double(f[c]), v.isFinite, v > 0 else {
                    throw ScenarioParseError(line: n, field: header[c], message: "'\(f[c])' is not a positive number")
                }
                return v * scale
            }
            let submit = try time(submitCol)
            let deadline = try time(deadlineCol)
            let duration = try positive(durationCol, scale: durationScale)
            let power: Double
            if let powerCol { power = try positive(powerCol, scale: 1) } else {
                power = try positive(energyCol!.0, scale: energyCol!.1) / duration
            }
            guard deadline.timeIntervalSince(submit) >= duration - 1e-6 else {
                throw ScenarioParseError(line: n, field: header[deadlineCol],
                                         message: "deadline \(ISO8601.string(deadline)) is earlier than submission + duration (\(ISO8601.string(submit.addingTimeInterval(duration)))): no plan can meet it")
            }
            var interruptible: Bool?
            if let c = interruptibleCol, !f[c].isEmpty {
                switch f[c].lowercased() {
                case "true", "1", "yes": interruptible = true
                case "false", "0", "no": interruptible = false
                default: throw ScenarioParseError(line: n, field: header[c], message: "'\(f[c])' is not true or false")
                }
            }
            jobs.append(ScenarioJob(name: idCol.map { f[$0] } ?? "job-\(n)", submittedAt: submit, durationSeconds: duration,
                                    deadline: deadline, powerWatts: power, interruptible: interruptible, line: n))
        }
        guard !jobs.isEmpty else { throw ScenarioParseError(line: 1, field: nil, message: "no jobs after the header") }
        return jobs
    }
}

/// Points resampled onto a regular slot grid.
public enum SlotResampling {
    /// Time-weighted mean of a step function over slots [origin + k·s, origin + (k+1)·s).
    ///
    /// Each point holds from its time until the next point's, but at most twice the data's typical
    /// (median) spacing; past that it holds for one typical spacing and the rest is a gap. A slot is
    /// given a value only when it is wholly covered; otherwise nil. So 15-min data averages pairwise
    /// into 30-min slots, hourly data fills both half-hours, and a missing stretch stays missing.
    public static func slotMeans(_ points: [IntensityPoint], origin: Date, slotSeconds: Double, count: Int) -> [Double?] {
        guard points.count >= 1 else { return Array(repeating: nil, count: count) }
        var spacings = zip(points.dropFirst(), points).map { $0.time.timeIntervalSince($1.time) }.sorted()
        if spacings.isEmpty { spacings = [slotSeconds] }
        let typical = spacings[spacings.count / 2]
        var weighted = [Double](repeating: 0, count: count)
        var covered = [Double](repeating: 0, count: count)
        for (i, p) in points.enumerated() {
            let next = i + 1 < points.count ? points[i + 1].time.timeIntervalSince(p.time) : typical
            let hold = next <= 2 * typical + 1e-6 ? next : typical
            var a = p.time.timeIntervalSince(origin) / slotSeconds
            let b = a + hold / slotSeconds
            while a < b - 1e-12 {
                let k = Int(a.rounded(.down))
                let e = min(Double(k + 1), b)
                if k >= 0 && k < count {
                    weighted[k] += p.intensity.gramsPerKWh * (e - a)
                    covered[k] += e - a
                }
                if k >= count { break }
                a = e
            }
        }
        return (0..<count).map { covered[$0] >= 1 - 1e-6 ? weighted[$0] / covered[$0] : nil }
    }

    /// Fills gaps by linear interpolation between the known neighbours (the ends hold the nearest
    /// value), for pricing what actually happened over a stretch the source did not report.
    public static func interpolated(_ values: [Double?]) -> [Double] {
        let known = values.indices.filter { values[$0] != nil }
        guard let first = known.first, let last = known.last else { return values.map { _ in 0 } }
        var out = [Double](repeating: 0, count: values.count)
        for k in 0..<values.count {
            if let v = values[k] { out[k] = v; continue }
            if k < first { out[k] = values[first]!; continue }
            if k > last { out[k] = values[last]!; continue }
            var lo = k - 1
            while values[lo] == nil { lo -= 1 }
            var hi = k + 1
            while values[hi] == nil { hi += 1 }
            let w = Double(k - lo) / Double(hi - lo)
            out[k] = values[lo]! * (1 - w) + values[hi]! * w
        }
        return out
    }
}
