import Foundation
import Logging
import ServiceLifecycle
import VerdantAPI
import VerdantCore
import VerdantMetrics
import VerdantStore

// MARK: Reports (issue 8): the report API, per-job summaries, rollups and retention.

extension JobRuntime {
    /// The report; `progress` gets the steps of building it (issue 12; `JobRuntime+Progress.swift` has the call without it).
    public func report(since: String?, until: String?, by: String?, timeline: Bool, caller: Caller,
                       progress: @escaping ProgressSink) async throws -> EnergyReport {
        let now = parts.clock.now()
        func resolve(_ s: String?, _ flag: String) throws -> Date? {
            guard let s else { return nil }
            if let secs = DurationSyntax.parseSeconds(s) { return now.addingTimeInterval(-secs) }
            guard let d = ISO8601.parse(s) else {
                throw APIError.badRequest("--\(flag) '\(s)' is neither an ISO-8601 instant nor a duration before now (24h)")
            }
            return d
        }
        let grouping: ReportGrouping
        if let by {
            guard let g = ReportGrouping(rawValue: by) else {
                throw APIError.badRequest("--by '\(by)' is not a grouping: use one of \(ReportGrouping.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            grouping = g
        } else {
            grouping = .job
        }
        let from = try resolve(since, "since"), to = try resolve(until, "until")
        if let from, let to, from > to {
            throw APIError.badRequest("--since \(ISO8601.string(from)) is after --until \(ISO8601.string(to)): the range is empty; swap them")
        }
        let db = parts.database, series = activeSeries, zone = parts.intensityZone
        return try ReportBuilder.build(database: db, series: series, zone: zone,
                                       query: .init(since: from, until: to, by: grouping, timeline: timeline),
                                       now: now, visible: visibility(for: caller),
                                       progress: { progress(ProgressEvent(label: "report steps", done: $0, total: $1)) })
    }

    /// Stores what the report needs once per-tick intervals are pruned: the run's split by energy
    /// source and the counterfactual carbon (same energy, same series, started at submission).
    func recordReportSummary(_ job: Job, totals: RunningJobTotals) {
        guard let id = job.id else { return }
        let run = (job.startedAt != nil && job.endedAt != nil) ? max(0, job.endedAt!.timeIntervalSince(job.startedAt!)) : 0
        let cf = ReportBuilder.counterfactual(job, series: activeSeries)
        do {
            try parts.database.save(JobEnergySummaryRecord(jobID: id, measuredSeconds: totals.measuredSeconds,
                                                           estimatedSeconds: totals.estimatedSeconds,
                                                           missingSeconds: totals.missingSeconds(runSeconds: run), counterfactualCarbon: cf?.grams))
        } catch {
            log.error("saving the job's report summary failed", metadata: ["job.id": "\(id)", "error": "\(error)"])
        }
        parts.metrics?.jobEnded(id: id, carbonSavedGrams: cf.flatMap { cf in job.carbon.map { (cf - $0).grams } })
    }

    /// The database and the daemon's now, for the rollup service (which works off the actor).
    func rollupContext() -> (database: VerdantDatabase, now: Date) { (parts.database, parts.clock.now()) }
}

/// Rolls raw samples up into minutes and hours and deletes raw rows older than the retention, every
/// `intervalSeconds` of real time and once at shutdown. Works off the runtime actor: the sampler
/// never waits for it (the store is WAL, one writer at a time with a 5 s busy timeout).
struct RollupService: Service {
    let runtime: JobRuntime
    let retentionSeconds: Double
    let intervalSeconds: Double
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await maintain()
                try? await Task.sleep(for: .milliseconds(Int(intervalSeconds * 1000)))
            }
        }
        await maintain()
    }

    func maintain() async {
        let (db, now) = await runtime.rollupContext()
        do {
            let p = try db.rollUp()
            let pruned = try db.pruneRaw(olderThan: now.addingTimeInterval(-retentionSeconds))
            if p.minutes > 0 || pruned > 0 {
                logger.debug("rollup", metadata: ["minutes": "\(p.minutes)", "hours": "\(p.hours)", "pruned": "\(pruned)"])
            }
        } catch {
            logger.error("rolling up samples failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}

// MARK: Prometheus (issue 8)

extension JobRuntime {
    /// Sets the gauges read at scrape time and returns the exposition text; `nil` without metrics.
    public func metricsText() async -> String? {
        guard let m = parts.metrics else { return nil }
        let now = parts.clock.now()
        do {
            let counts = try parts.database.jobCountsByState()
            var age: Double?
            if let inUse = try await intensitySources().first(where: { $0.inUse }) { age = inUse.newestPointAgeSeconds }
            m.setGauges(jobCounts: counts, queued: counts["queued"] ?? 0, zone: parts.intensityZone, source: activeIntensitySource,
                        kind: (selection?.kind ?? .average).rawValue,
                        intensityGramsPerKWh: activeSeries.intensity(at: now).gramsPerKWh, ageSeconds: age.map { max(0, $0) })
        } catch {
            m.scrapeError()
            log.error("reading figures for the metrics failed", metadata: ["error": "\(error)"])
        }
        return m.exposition()
    }
}

/// Writes the metrics for node_exporter's textfile collector every `intervalSeconds`: to `path.tmp`,
/// then renamed over `path`, so the collector never reads half a file (node_exporter README,
/// "Textfile Collector").
struct MetricsTextfileService: Service {
    let runtime: JobRuntime
    let path: String
    let intervalSeconds: Double
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await write()
                try? await Task.sleep(for: .milliseconds(Int(intervalSeconds * 1000)))
            }
        }
    }

    func write() async {
        guard let text = await runtime.metricsText() else { return }
        let tmp = path + ".tmp"
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
            if rename(tmp, path) != 0 { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        } catch {
            logger.error("writing the metrics textfile failed", metadata: ["path": "\(path)", "error": "\(error)"])
        }
    }
}
