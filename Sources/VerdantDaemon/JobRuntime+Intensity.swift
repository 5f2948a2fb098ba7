import Logging
import ServiceLifecycle
import Foundation
import VerdantAPI
import VerdantCore
import VerdantStore


// MARK: Grid intensity (issue 4): chain refresh, job provenance, and the intensity API.

extension JobRuntime: VerdantIntensityAPIHandler {
    /// Asks the chain's due providers (backoff permitting) and takes its new selection. Without a
    /// chain, does nothing.
    /// - Parameter fetch: `false` selects from stored slots only (start-up: cache, then static).
    public func refreshIntensity(fetch: Bool = true) async {
        guard let chain = parts.intensityChain else { return }
        let now = parts.clock.now()
        let previous = selection?.source
        selection = fetch ? await chain.refresh(now: now) : await chain.reselect(now: now)
        // Executor slurm: jobs Slurm holds pending follow the new forecast (scontrol update StartTime).
        if parts.batch != nil { await replanBatchJobs() }
        noteForecast()   // a changed forecast re-plans the queue (issue 6)
        if let s = selection, s.source != previous {
            log.notice("intensity source changed", metadata: ["source": "\(s.source)", "kind": "\(s.kind.rawValue)",
                                                              "previous": "\(previous ?? "none")"])
        }
    }

    /// Records how many seconds of a finished run the fill rule or the static value priced.
    func recordFilledSeconds(jobID: Int64, from: Date?, to: Date?) {
        guard let from, let to, var r = try? parts.database.jobIntensity(jobID: jobID) else { return }
        if let selection {
            r.filledSeconds = selection.slots.filledSeconds(from: from, to: to)
        } else {
            let s = parts.series
            r.filledSeconds = s.isCovered(at: from) && s.isCovered(at: to.addingTimeInterval(-1e-3)) ? 0 : nil
        }
        try? parts.database.save(r)
    }

    /// A job view with its intensity provenance.
    func withIntensity(_ v: JobView) -> JobView {
        guard let r = try? parts.database.jobIntensity(jobID: v.id) else { return v }
        var out = v
        out.intensitySource = r.planSource
        out.intensityKind = r.kind
        out.intensityFilledSeconds = r.filledSeconds
        return out
    }

    private func resolve(_ s: String?, _ flag: String, default d: Date, now: Date, ahead: Bool) throws -> Date {
        guard let s else { return d }
        if let secs = DurationSyntax.parseSeconds(s) { return now.addingTimeInterval(ahead ? secs : -secs) }
        guard let t = ISO8601.parse(s) else {
            throw APIError.badRequest("--\(flag) '\(s)' is neither an ISO-8601 instant nor a duration (24h)")
        }
        return t
    }

    public func intensity(zone: String?, since: String?, until: String?, forecast: Bool) async throws -> [IntensityPointView] {
        let now = parts.clock.now()
        let from = try resolve(since, "since", default: now.addingTimeInterval(-86400), now: now, ahead: false)
        let to = try resolve(until, "until", default: now.addingTimeInterval(48 * 3600), now: now, ahead: true)
        guard to > from else { throw APIError.badRequest("--until \(ISO8601.string(to)) is not after --since \(ISO8601.string(from)): the range is empty; give an --until after --since") }
        var slots = try parts.database.slots(zone: zone ?? parts.intensityZone, from: from, to: to, forecasts: forecast)
        if forecast {
            // Every issue is stored (to score past forecasts); show the newest issue of each slot per source.
            var newest: [String: IntensitySlot] = [:]
            for s in slots {
                let key = "\(s.start.timeIntervalSince1970)|\(s.source)"
                if let have = newest[key], (have.issuedAt ?? .distantPast) >= (s.issuedAt ?? .distantPast) { continue }
                newest[key] = s
            }
            slots = newest.values.sorted { ($0.start, $0.source) < ($1.start, $1.source) }
        }
        return slots.map(IntensityPointView.init)
    }

    /// Parses and stores the file in one transaction; `progress` gets 0 once the file is parsed, then
    /// the slots written every 256 rows and once at the end (issue 12; `JobRuntime+Progress.swift` has the call without it).
    public func importIntensity(_ r: IntensityImportRequest, progress: @escaping ProgressSink) async throws -> IntensityImportResult {
        guard let format = IntensityImportFormat(rawValue: r.format) else {
            throw APIError.badRequest("--format must be csv or json, got '\(r.format)'")
        }
        guard let kind = IntensitySignalKind(rawValue: r.kind) else {
            throw APIError.badRequest("--kind must be average or marginal, got '\(r.kind)'")
        }
        let name = URL(fileURLWithPath: r.fileName).lastPathComponent
        let parsed: IntensityImport
        do {
            parsed = try IntensityImport.parse(r.content, format: format, zone: r.zone, kind: kind, source: "import:" + name)
        } catch let e as TraceParseError {
            throw APIError.badRequest("\(r.fileName):\(e.line): \(e.message); nothing was imported")
        }
        do {
            let total = parsed.slots.count
            progress(ProgressEvent(label: "slots written", done: 0, total: total))   // parsed: the write begins
            try parts.database.store(slots: parsed.slots, fetchedAt: parts.clock.now()) { n in
                progress(ProgressEvent(label: "slots written", done: n, total: total))
            }
            progress(ProgressEvent(label: "slots written", done: total, total: total))
        } catch {
            throw APIError(status: 500, "writing the imported slots failed (\(error)); nothing was imported: check the state folder's free space and permissions (verdant doctor), then import again")
        }
        if let f = parts.forecasts, let z = parsed.slots.first?.zone { await f.imported(zone: z) }   // retrain after a bulk import
        log.info("intensity imported", metadata: ["file": "\(name)", "slots": "\(parsed.slots.count)", "gaps": "\(parsed.gaps.count)"])
        return IntensityImportResult(zone: parsed.slots.first?.zone ?? "", source: "import:" + name, kind: kind.rawValue,
                                     slots: parsed.slots.count, known: parsed.knownCount, first: parsed.slots.first?.start,
                                     last: parsed.slots.last?.start, mapping: parsed.mapping, gaps: parsed.gaps.map(IntensityGapView.init))
    }

    public func intensitySources() async throws -> [IntensitySourceView] {
        let now = parts.clock.now()
        if let chain = parts.intensityChain { return await chain.sources(now: now) }
        let newest = try? parts.database.newestSlot(zone: parts.intensityZone, source: parts.intensitySource)
        let isTrace = parts.intensitySource.hasPrefix("trace:")
        return [IntensitySourceView(position: 1, name: parts.intensitySource, kind: "average", health: "ok", inUse: true,
                                    lastFetch: newest?.fetchedAt ?? nil, lastError: nil, consecutiveFailures: 0, nextAttempt: nil,
                                    newestPoint: newest?.start ?? nil, newestPointAgeSeconds: (newest?.start ?? nil).map { now.timeIntervalSince($0) },
                                    detail: isTrace ? "trace file; static-intensity outside it" : nil)]
    }
}

/// Refreshes the intensity chain every second of real time; the chain itself decides which providers
/// are due (refresh period, backoff), so this only bounds how late a change of source is noticed.
struct IntensityService: Service {
    let runtime: JobRuntime

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await runtime.refreshIntensity()
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }
}
