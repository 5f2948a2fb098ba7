import Foundation
import VerdantCore

// MARK: Progress of long requests (issue 12)
//
// `POST /v1/intensity/import?progress=1`, `GET /v1/report?…&progress=1` and
// `GET /v1/forecast?…&progress=1` answer `200` with
// `Content-Type: application/x-ndjson`: one JSON object per line, first any number of
// `{"progress":{"label":"slots written","done":256,"total":2880}}`, then exactly one
// `{"result":{…}}` (the plain route's body) or `{"error":"…","status":400}` (the plain route's
// error and its HTTP status). Without `progress=1` the routes answer as before (one JSON body), so
// `verdant` asks for the stream only when it will draw the progress line (stderr a terminal, no
// `--json`). Errors found before the work starts (who may import, a malformed body) still come as a
// plain non-200 answer. Shapes in docs/cli.md ("Progress of long requests").

extension APIRoutes {
    /// The query item that asks a long request for its progress stream (`progress=1`).
    public static let progressQuery = "progress"
    /// The stream's content type (newline-delimited JSON).
    public static let progressContentType = "application/x-ndjson"
}

/// How far a long request is: `done` of `total` items called `label` (`slots written`, `report steps`).
public struct ProgressEvent: Codable, Sendable, Hashable {
    /// What is counted, as the progress line shows it (`slots written`, `report steps`, `training fits`).
    public var label: String
    /// Items finished so far, 0…`total`.
    public var done: Int
    /// Items in all; known before the first event.
    public var total: Int

    /// - Parameters: see the properties.
    public init(label: String, done: Int, total: Int) {
        self.label = label
        self.done = done
        self.total = total
    }
}

/// Where a handler reports its progress; called from any thread, possibly inside a database write.
public typealias ProgressSink = @Sendable (ProgressEvent) -> Void

/// One line of a progress stream: exactly one of `progress`, `result` or `error` (with `status`).
public struct ProgressStreamLine<Result: Codable & Sendable>: Codable, Sendable {
    /// A progress update (any number of these come first).
    public var progress: ProgressEvent?
    /// The body the plain request would have answered with (last line on success).
    public var result: Result?
    /// The plain request's error message (last line on failure; says what to do).
    public var error: String?
    /// The HTTP status the plain route would have answered the error with.
    public var status: Int?

    /// - Parameters: see the properties.
    public init(progress: ProgressEvent? = nil, result: Result? = nil, error: String? = nil, status: Int? = nil) {
        self.progress = progress
        self.result = result
        self.error = error
        self.status = status
    }
}

/// The long requests that can report their progress. The server streams it when the handler conforms
/// and the request asks (`progress=1`); the work done and its result are those of the plain calls.
public protocol VerdantProgressAPIHandler: Sendable {
    /// `VerdantIntensityAPIHandler.importIntensity`, reporting the slots written (one transaction still:
    /// a failure writes nothing).
    func importIntensity(_ request: IntensityImportRequest, progress: @escaping ProgressSink) async throws -> IntensityImportResult
    /// `VerdantAPIHandler.report`, reporting the steps of building it (read jobs, price jobs, zones, timeline).
    func report(since: String?, until: String?, by: String?, timeline: Bool, caller: Caller,
                progress: @escaping ProgressSink) async throws -> EnergyReport
    /// `VerdantForecastAPIHandler.forecast`, reporting the ridge fits when the zone has no model yet and
    /// the daemon trains one for this request (nothing is reported when a model is in force).
    func forecast(zone: String?, horizon: String?, progress: @escaping ProgressSink) async throws -> ForecastView
}
