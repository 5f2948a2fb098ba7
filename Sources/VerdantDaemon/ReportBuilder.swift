import Foundation
import VerdantCore
import VerdantStore
#if canImport(Glibc)
import Glibc
#endif

/// Gathers a report from the store: finished jobs with their summaries and provenance, node energy
/// per zone and the node timeline from rollups plus the raw tail, all priced by one intensity series.
public enum ReportBuilder {
    /// What to build.
    public struct Query: Sendable {
        public var since: Date?
        public var until: Date?
        public var by: ReportGrouping
        /// Include the node timeline (the HTML report's charts).
        public var timeline: Bool
        public init(since: Date?, until: Date?, by: ReportGrouping, timeline: Bool) {
            self.since = since
            self.until = until
            self.by = by
            self.timeline = timeline
        }
    }

    /// Builds the report.
    /// - Parameters:
    ///   - series: the intensity series that priced the jobs (counterfactuals and zone carbon use it too).
    ///   - zone: the grid zone, for stored forecasts.
    ///   - now: the daemon's clock; an open `until` ends here.
    ///   - visible: which jobs the caller may see.
    ///   - progress: steps done of the steps this query has (read jobs, price jobs, then zones and
    ///     timeline when asked), after each step (issue 12: `verdant report`'s progress line).
    /// - Throws: `DatabaseError`.
    public static func build(database db: VerdantDatabase, series: IntensitySeries, zone: String, query q: Query, now: Date,
                             visible: (Job) -> Bool, progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws -> EnergyReport {
        let steps = 2 + (q.by == .zone ? 1 : 0) + (q.timeline ? 1 : 0)
        var step = 0
        func stepDone() { step += 1; progress?(step, steps) }
        // Every finished job with only the report's columns, as kept between reports (`reportJobRows`), not
        // a copy filtered by `since`: jobs started before it are skipped below (the range is applied again
        // by `EnergyReport`; this only skips them early).
        let rows = try db.reportJobRows()
        // One pass to decide visibility and find the jobs without a stored summary, one to build the
        // inputs (no filtered copies of 20,000 jobs; rows read in place by index).
        var shown = [Bool](repeating: false, count: rows.count)
        var unsummarised: [Int64] = []
        for k in rows.indices {
            if let since = q.since, !(rows[k].job.startedAt.map { $0 >= since } ?? false) { continue }
            guard visible(rows[k].job) else { continue }
            shown[k] = true
            if rows[k].summary == nil, let id = rows[k].job.id { unsummarised.append(id) }
        }
        let splits = try db.intervalSplits(jobIDs: unsummarised)
        // Executor slurm: where each job ran (cluster, Slurm job id). The table holds Slurm jobs only, so
        // reading it whole is cheaper than a key list of every report job.
        let slurm = try db.slurmJobs()
        stepDone()
        var users: [UInt32: String] = [:]
        var inputs: [ReportJobInput] = []
        inputs.reserveCapacity(rows.count)
        for k in rows.indices where shown[k] {
            let id = rows[k].job.id ?? -1
            let uid = rows[k].job.uid
            let user: String
            if let u = users[uid] { user = u } else { user = userName(uid: uid); users[uid] = user }
            var i = ReportJobInput(job: rows[k].job, userName: user, intensitySource: rows[k].intensitySource, intensityKind: rows[k].intensityKind,
                                   placement: slurm.isEmpty ? nil : slurm[id].map { JobPlacement(cluster: $0.cluster, batchJobID: $0.slurmJobID) })
            if let s = rows[k].summary {
                i.measuredSeconds = s.measuredSeconds
                i.estimatedSeconds = s.estimatedSeconds
                i.missingSeconds = s.missingSeconds
                i.counterfactualCarbon = s.counterfactualCarbon.map(CarbonGrams.init)
            } else {
                if let s = splits[id], let a = i.job.startedAt, let b = i.job.endedAt {
                    let run = max(0, b.timeIntervalSince(a))
                    i.measuredSeconds = s.measured
                    i.estimatedSeconds = s.estimated
                    i.missingSeconds = s.missing + max(0, run - (s.measured + s.estimated + s.missing))
                }
                i.counterfactualCarbon = counterfactual(i.job, series: series)
            }
            inputs.append(i)
        }
        stepDone()
        var zones: [ReportZoneInput] = []
        var timeline: [ReportTimelinePoint] = []
        if q.by == .zone || q.timeline, let range = try db.energyTimeRange() {
            let from = max(q.since ?? range.first, range.first)
            let to = min(q.until ?? now, max(range.last, from))
            if to > from {
                if q.by == .zone { zones = try zoneInputs(db: db, series: series, from: from, to: to); stepDone() }
                if q.timeline { timeline = try timelinePoints(db: db, series: series, zone: zone, from: from, to: to); stepDone() }
            }
        }
        if step < steps { step = steps - 1; stepDone() }   // no samples in range: the zone/timeline steps had nothing to do
        return EnergyReport(jobs: inputs, zones: zones, timeline: timeline, by: q.by, since: q.since, until: q.until)
    }

    /// The job's energy priced by `series` over its run length starting at submission, as if it had not
    /// waited (gCO2eq); `nil` without energy or times.
    public static func counterfactual(_ j: Job, series: IntensitySeries) -> CarbonGrams? {
        guard let e = j.energy, let a = j.startedAt, let b = j.endedAt else { return nil }
        let run = max(0, b.timeIntervalSince(a))
        let intensity = series.meanIntensity(from: j.submittedAt, to: j.submittedAt.addingTimeInterval(run))
        return CarbonGrams(energy: e, intensity: intensity)
    }

    static func zoneInputs(db: VerdantDatabase, series: IntensitySeries, from: Date, to: Date) throws -> [ReportZoneInput] {
        // One dictionary look-up per piece, the sums kept in place (a year is 70,000 hour pieces).
        var index: [String: Int] = [:]
        var list: [ReportZoneInput] = []
        for p in try db.energyPieces(from: from, to: to) {
            let k: Int
            if let found = index[p.zone] { k = found } else {
                k = list.count
                index[p.zone] = k
                list.append(ReportZoneInput(zone: p.zone, source: EnergySource(rawValue: p.source) ?? .unavailable,
                                            energy: nil, okSeconds: 0, missingSeconds: 0, busyCPUSeconds: 0, carbon: nil))
            }
            if let e = p.energyJoules {
                list[k].energy = (list[k].energy ?? .zero) + EnergyJoules(e)
                let i = series.meanIntensity(from: p.start, to: p.start.addingTimeInterval(p.seconds))
                list[k].carbon = (list[k].carbon ?? .zero) + CarbonGrams(energy: EnergyJoules(e), intensity: i)
            }
            list[k].okSeconds += p.okSeconds
            list[k].missingSeconds += p.missingSeconds
            list[k].busyCPUSeconds += p.busyCPUSeconds
        }
        return list.sorted { $0.zone < $1.zone }
    }

    /// Whether a zone counts in the node total: `cpu-estimate` and top-level powercap zones
    /// (`intel-rapl:0`); sub-zones (`intel-rapl:0:0`, core and DRAM) are inside their package.
    static func isTopLevel(_ zone: String) -> Bool {
        zone == "cpu-estimate" || zone.split(separator: ":").count <= 2
    }

    /// The bucket length of a timeline: the first of 1 s … 1 week giving at most 400 buckets, so
    /// that even the first minutes of a daemon's history give a chart of several buckets (raw ticks
    /// are kept at the sampling interval; older spans are read from minute and hour rollups, which are
    /// spread over the buckets they overlap).
    static func bucketSeconds(span: Double) -> Double {
        let choices: [Double] = [1, 10, 60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400]
        for b in choices where span / b <= 400 { return b }
        return 7 * 86400
    }

    static func timelinePoints(db: VerdantDatabase, series: IntensitySeries, zone: String, from: Date, to: Date) throws -> [ReportTimelinePoint] {
        let b = bucketSeconds(span: to.timeIntervalSince(from))
        let t0 = floor(from.timeIntervalSince1970 / b) * b
        let n = Int(ceil((to.timeIntervalSince1970 - t0) / b))
        guard n > 0 else { return [] }
        var energy = [Double?](repeating: nil, count: n)
        var covered = [Double](repeating: 0, count: n)
        // Seconds are per zone; the node's covered time is that of its best-covered zone.
        // Per zone name: its index in `coveredByZone`, or nil for a sub-zone (decided once per name).
        var zoneIndex: [String: Int?] = [:]
        var coveredByZone: [[Double]] = []
        for p in try db.energyPieces(from: from, to: to, coarsest: b >= 3600 ? 3600 : 60) {
            let zi: Int
            if let known = zoneIndex[p.zone] {
                guard let i = known else { continue }
                zi = i
            } else {
                guard isTopLevel(p.zone) else { zoneIndex[p.zone] = .some(nil); continue }
                zi = coveredByZone.count
                zoneIndex[p.zone] = zi
                coveredByZone.append([Double](repeating: 0, count: n))
            }
            // A piece longer than a bucket (a long sample interval) is spread over the buckets it
            // overlaps, in proportion to the overlap.
            let a = p.start.timeIntervalSince1970, z = a + max(p.seconds, 1e-9)
            var k = max(0, Int(floor((a - t0) / b)))
            while k < n {
                let lo = t0 + Double(k) * b, hi = lo + b
                if lo >= z { break }
                let share = (min(z, hi) - max(a, lo)) / (z - a)
                if share > 0 {
                    if let e = p.energyJoules { energy[k] = (energy[k] ?? 0) + e * share }
                    coveredByZone[zi][k] += p.okSeconds * share
                }
                k += 1
            }
        }
        for c in coveredByZone { for k in 0..<n { covered[k] = max(covered[k], c[k]) } }
        // The newest forecast issued for each slot, where any is stored.
        var forecasts: [IntensitySlot] = []
        var seen = Set<Date>()
        for s in try db.slots(zone: zone, from: from, to: to, forecasts: true) where !seen.contains(s.start) {
            seen.insert(s.start)
            forecasts.append(s)
        }
        var fi = 0
        return (0..<n).map { k in
            let start = Date(timeIntervalSince1970: t0 + Double(k) * b)
            let end = start.addingTimeInterval(b)
            var forecast: Double?
            var sum = 0.0, w = 0.0
            while fi < forecasts.count, forecasts[fi].end <= start { fi += 1 }
            var j = fi
            while j < forecasts.count, forecasts[j].start < end {
                let s = forecasts[j]
                if let v = s.value?.gramsPerKWh {
                    let overlap = min(end, s.end).timeIntervalSince(max(start, s.start))
                    if overlap > 0 { sum += v * overlap; w += overlap }
                }
                j += 1
            }
            if w > 0 { forecast = sum / w }
            return ReportTimelinePoint(start: start, seconds: b, energyJoules: energy[k], coveredSeconds: covered[k],
                                       intensityGramsPerKWh: series.meanIntensity(from: start, to: end).gramsPerKWh,
                                       forecastGramsPerKWh: forecast)
        }
    }

    /// The login name of `uid` (getpwuid_r), else `uid <n>`.
    static func userName(uid: UInt32) -> String {
        var pwd = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 4096)
        if getpwuid_r(uid, &pwd, &buffer, buffer.count, &result) == 0, result != nil, let name = pwd.pw_name {
            return String(cString: name)
        }
        return "uid \(uid)"
    }
}
