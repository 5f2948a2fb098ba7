// verdant-bench: the report and rollup benchmark of issue 8 (prints figures; not a test).
//
// Builds a database holding what a node with ZONES energy zones leaves after DAYS of 1 Hz sampling
// and retention (RAW_DAYS of raw samples, minute and hour rollups for all DAYS) plus JOBS finished
// jobs, through the daemon's own code: `VerdantDatabase.append` (the sampler's flush), `rollUp`
// and `pruneRaw` (RollupService), `finish`/`save` (a job's end). Then it times a report over the
// whole period in every format (ReportBuilder + the renderers `verdant report` uses), and prints
// the ingest throughput and the database size per month of history.
//
// History older than the raw window is ingested at one 60 s sample per zone and minute: it leaves the
// same minute and hour rollup rows as 1 Hz sampling would (one per zone and minute or hour), and
// its raw rows are deleted by retention all the same. The last RAW_DAYS are ingested at 1 Hz in
// 5 s batches, as the sampler flushes, and give the ingest throughput.
//
// Usage: verdant-bench [--days 365] [--raw-days 7 | --raw-hours H] [--zones 8] [--jobs 20000] [--dir DIR]
//        [--smoke: 3 days, 2 h raw, 200 jobs] [--reuse: keep a database already in DIR built with the
//        same options, and only time the reports] [--repeat N: time each report N times, print the fastest]
import Foundation
import VerdantAPI
import VerdantCore
import VerdantDaemon
import VerdantReport
import VerdantStore
import GRDB


func arg(_ name: String, _ def: Int) -> Int {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: name), i + 1 < a.count, let v = Int(a[i + 1]) { return v }
    return def
}
let smoke = CommandLine.arguments.contains("--smoke")
let days = arg("--days", smoke ? 3 : 365)
let rawDays = min(days, arg("--raw-days", 7))
/// The raw window in hours (default: --raw-days); the smoke run keeps 2 h so that it ends in a minute.
let rawHours = min(days * 24, arg("--raw-hours", smoke ? 2 : rawDays * 24))
let zoneCount = arg("--zones", 8)
let jobCount = arg("--jobs", smoke ? 200 : 20000)
let dir: String = {
    let a = CommandLine.arguments
    if let i = a.firstIndex(of: "--dir"), i + 1 < a.count { return a[i + 1] }
    return FileManager.default.temporaryDirectory.appendingPathComponent("verdant-bench-\(getpid())").path
}()
let dbPath = dir + "/verdant.sqlite"
/// `--reuse` with a database already there (from a run with the same --days/--raw-*/--zones/--jobs): skip
/// building it, only time the reports (ingest figures are then not printed).
let reuse = CommandLine.arguments.contains("--reuse") && FileManager.default.fileExists(atPath: dbPath)
let repeats = max(1, arg("--repeat", 1))
if !reuse {
    try? FileManager.default.removeItem(atPath: dir)
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
}
let db = try VerdantDatabase(path: dbPath)

func monoSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let end = ISO8601.parse("2025-01-01T00:00:00Z")!
let start = end.addingTimeInterval(-Double(days) * 86400)
let rawStart = end.addingTimeInterval(-Double(rawHours) * 3600)
let zones = (0..<zoneCount).map { k in k < 2 ? "intel-rapl:\(k)" : "intel-rapl:\(k % 2):\(k / 2 - 1)" }
print("verdant-bench: \(days) days, the last \(rawHours) h of them raw at 1 Hz, \(zoneCount) zones, \(jobCount) jobs, in \(dbPath)")

/// Node power in W for a zone at time t: a daily cycle, so sums are not trivial.
func watts(_ zone: Int, _ t: Double) -> Double { 10 + Double(zone) + 5 * sin(t / 86400 * 2 * .pi) }

// Intensity: hourly points for the whole period (a daily cycle of 200–400 g/kWh).
var points: [IntensityPointRecord] = []
var t = start
while t < end {
    let v = 300 + 100 * sin(t.timeIntervalSince1970 / 86400 * 2 * .pi)
    points.append(IntensityPointRecord(zone: "DE", time: t, intensity: IntensityGramsPerKWh(v), source: "bench", signal: "average"))
    t = t.addingTimeInterval(3600)
}
if !reuse { try db.upsert(points) }
let series = IntensitySeries(points: points.map { IntensityPoint(time: $0.time, intensity: $0.intensity) }, fallback: IntensityGramsPerKWh(480))

func samples(at a: Double, seconds: Double) -> [EnergySampleRecord] {
    zones.enumerated().map { k, z in
        EnergySampleRecord(zone: z, zoneName: z, source: .measured, startAt: Date(timeIntervalSince1970: a),
                           endAt: Date(timeIntervalSince1970: a + seconds), durationSeconds: seconds,
                           energy: EnergyJoules(watts(k, a) * seconds), busyCPUSeconds: seconds * 2)
    }
}

func buildDatabase() throws {
    // 1. History before the raw window: a minute sample per zone, one append per hour, rollup every hour,
    //    retention once a day.
    var t0 = monoSeconds()
    var historyRows = 0
    var a = start.timeIntervalSince1970
    while a < rawStart.timeIntervalSince1970 {
        var batch: [EnergySampleRecord] = []
        for m in 0..<60 where a + Double(m) * 60 < rawStart.timeIntervalSince1970 { batch += samples(at: a + Double(m) * 60, seconds: 60) }
        try db.append(samples: batch, intervals: [], meta: [:])
        historyRows += batch.count
        try db.rollUp()
        a += 3600
        if Int(a) % 86400 == 0 { try db.pruneRaw(olderThan: Date(timeIntervalSince1970: a - Double(rawHours) * 3600)) }
    }
    let historySeconds = monoSeconds() - t0
    print(String(format: "history: %d minute samples ingested and rolled up in %.1f s (%.0f rows/s)", historyRows, historySeconds, Double(historyRows) / max(historySeconds, 1e-9)))

    // 2. The raw window at 1 Hz. Its first hour is appended in 5 s batches, as the sampler flushes, with a
    //    rollup every minute: that gives the ingest throughput. The rest in one-hour batches (same rows).
    t0 = monoSeconds()
    var rawRows = 0
    var ingestSeconds = 0.0
    var rollupSeconds = 0.0
    a = rawStart.timeIntervalSince1970
    var flushes = 0
    let measuredUntil = rawStart.timeIntervalSince1970 + 3600
    while a < measuredUntil {
        var batch: [EnergySampleRecord] = []
        for s in 0..<5 { batch += samples(at: a + Double(s), seconds: 1) }
        let i0 = monoSeconds()
        try db.append(samples: batch, intervals: [], meta: [:])
        ingestSeconds += monoSeconds() - i0
        rawRows += batch.count
        flushes += 1
        a += 5
        if Int(a) % 60 == 0 {
            let r0 = monoSeconds()
            try db.rollUp()
            rollupSeconds += monoSeconds() - r0
        }
    }
    let measuredRows = rawRows
    while a < end.timeIntervalSince1970 {
        var batch: [EnergySampleRecord] = []
        for s in 0..<3600 where a + Double(s) < end.timeIntervalSince1970 { batch += samples(at: a + Double(s), seconds: 1) }
        try db.append(samples: batch, intervals: [], meta: [:])
        rawRows += batch.count
        try db.rollUp()
        a += 3600
    }
    try db.rollUp()
    try db.pruneRaw(olderThan: rawStart)
    print(String(format: "raw window: %d samples (1 Hz x %d zones) in %.1f s; first hour in 5 s flushes: ingest %.0f samples/s (%.2f ms per flush of %d), roll-up %.2f ms per minute",
                 rawRows, zoneCount, monoSeconds() - t0, Double(measuredRows) / max(ingestSeconds, 1e-9), ingestSeconds / Double(flushes) * 1000,
                 5 * zoneCount, rollupSeconds / 60 * 1000))

    // 3. Jobs, spread evenly over the period, each ended through `finish` with its summary and provenance.
    t0 = monoSeconds()
    let plan = JobPlan(plannedStart: start, latestStart: start, plannedIntensity: IntensityGramsPerKWh(300), runNowIntensity: IntensityGramsPerKWh(350),
                       predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(1.2), reason: "bench")
    let step = Double(days) * 86400 / Double(max(jobCount, 1))
    for k in 0..<jobCount {
        let submitted = start.addingTimeInterval(Double(k) * step)
        var j = Job(name: "job-\(k % 50)", kind: [.training, .inference, .batch][k % 3], command: ["true"], workingDirectory: "/",
                    environment: [], uid: UInt32(1000 + k % 4), gid: 1000, submittedAt: submitted, deadline: submitted.addingTimeInterval(86400),
                    expectedDurationSeconds: 600, durationSource: .history, expectedEnergy: EnergyJoules(6000), plan: plan)
        j = try db.insert(j)
        j.state = .succeeded
        j.startedAt = submitted.addingTimeInterval(Double(k % 7) * 1800)
        j.endedAt = j.startedAt!.addingTimeInterval(600)
        j.energy = EnergyJoules(5000 + Double(k % 11) * 200)
        j.carbon = CarbonGrams(energy: j.energy!, intensity: series.meanIntensity(from: j.startedAt!, to: j.endedAt!))
        j.energySource = .measured
        j.cpuSeconds = 550
        let interval = JobEnergyInterval(start: j.startedAt!, end: j.endedAt!, energy: j.energy!, source: .measured, cpuSeconds: 550,
                                         intensity: series.meanIntensity(from: j.startedAt!, to: j.endedAt!))
        let recent = j.endedAt! >= rawStart
        try db.finish(j, intervals: recent ? [JobIntervalRecord(jobID: j.id!, interval: interval)] : [])
        try db.save(JobIntensityRecord(jobID: j.id!, planSource: "bench", kind: "average", plannedOnData: true, filledSeconds: 0))
        try db.save(JobEnergySummaryRecord(jobID: j.id!, intervals: [interval], runSeconds: 600,
                                           counterfactualCarbon: ReportBuilder.counterfactual(j, series: series)))
    }
    print(String(format: "jobs: %d finished jobs stored in %.1f s", jobCount, monoSeconds() - t0))
}
if !reuse { try buildDatabase() }

// 4. A one-year report in every format: build (store reads + grouping) and render, each timed.
try db.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
print("reports (fastest of \(repeats)): total = store reads and grouping + rendering")
for by in ReportGrouping.allCases {
    for format in ["table", "csv", "json", "html"] {
        var best = (total: Double.infinity, built: 0.0), rows = 0, jobs = 0, bytes = 0
        for _ in 0..<repeats {
            let r0 = monoSeconds()
            let r = try ReportBuilder.build(database: db, series: series, zone: "DE",
                                            query: .init(since: start, until: end, by: by, timeline: format == "html"),
                                            now: end, visible: { _ in true })
            let built = monoSeconds() - r0
            let text: String
            switch format {
            case "table": text = ReportText.table(r)
            case "csv": text = ReportText.csv(r)
            case "json": text = try ReportJSON.render(r)
            default: text = ReportHTML.render(r)
            }
            let total = monoSeconds() - r0
            if total < best.total { best = (total, built) }
            rows = r.rows.count; jobs = r.jobs.count; bytes = text.utf8.count
        }
        print(String(format: "report --by %@ --format %@: %.0f ms (store and grouping %.0f ms, rendering %.0f ms), %d rows, %d jobs, %.1f MB output",
                     by.rawValue, format, best.total * 1000, best.built * 1000, (best.total - best.built) * 1000, rows, jobs, Double(bytes) / 1e6))
    }
}

// 5. Size.
try db.pool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
let size = (try FileManager.default.attributesOfItem(atPath: dbPath)[.size] as? NSNumber)?.doubleValue ?? 0
let counts = try db.pool.read { d in
    (try Int.fetchOne(d, sql: "SELECT CAST(TOTAL(n) AS INTEGER) FROM energy_ticks")!,
     try Int.fetchOne(d, sql: "SELECT COUNT(*) FROM energy_rollups WHERE resolution = 60")!,
     try Int.fetchOne(d, sql: "SELECT COUNT(*) FROM energy_rollups WHERE resolution = 3600")!)
}
let months = Double(days) / (365.25 / 12)
// Bytes per table and index (SQLite's dbstat table, where the library has it): what grows with history
// (rollups, jobs) and what retention bounds (raw samples and their indexes).
if let usage = try? db.pool.read({ d in
    try Row.fetchAll(d, sql: "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").map { ($0[0] as String, $0[1] as Int64) }
}) {
    for (name, bytes) in usage where bytes > 1_000_000 { print(String(format: "  %@: %.1f MB", name, Double(bytes) / 1e6)) }
    let grows = usage.filter { n, _ in !n.contains("energy_ticks") && !n.contains("job_intervals") }.map(\.1).reduce(0, +)
    print(String(format: "growth: %.1f MB per month of history (rollups, jobs and the rest); raw window (bounded by raw-retention): %.1f MB",
                 Double(grows) / 1e6 / months, Double(usage.map(\.1).reduce(0, +) - grows) / 1e6))
}
print(String(format: "database: %.1f MB for %d days (%.1f months): %.1f MB per month of history; %d raw samples, %d minute rows, %d hour rows",
             size / 1e6, days, months, size / 1e6 / months, counts.0, counts.1, counts.2))
