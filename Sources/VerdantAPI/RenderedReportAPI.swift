import Foundation
import VerdantCore

// MARK: Reports rendered by the daemon (issue 8: a one-year report in under 300 ms, end to end)
//
// `GET /v1/report?…&format=table|csv|json|html[&tz=ZONE]` answers `200` with the bytes `verdant report
// --format F` writes (Content-Type text/plain, text/csv, application/json or text/html, and the header
// `X-Verdant-Report-Format: F`), instead of the `EnergyReport` as JSON that `verdant` would decode and
// render itself: for a year of 20,000 jobs that JSON round trip (JSONEncoder, 30–40 MB, JSONDecoder) took
// longer than building and rendering the report. `tz` is the client's time-zone identifier; HTML shows
// local times in its header, so the daemon renders HTML only when `tz` is its own zone and otherwise
// answers `409` with `renderedReportZoneMismatch` before any work, and `verdant` falls back to
// receiving the `EnergyReport`. With `progress=1` the answer is the progress stream (ProgressAPI.swift)
// whose last line is `{"result":{"format":"html","bytes":N}}`, followed by exactly N bytes of the rendered
// report. Without `format` the route answers as before.

extension APIRoutes {
    /// The query item naming the format the daemon should render (`format=html`).
    public static let reportFormatQuery = "format"
    /// The query item carrying the client's time-zone identifier (`tz=Europe/Berlin`).
    public static let reportTimeZoneQuery = "tz"
    /// The response header naming the format of a rendered report.
    public static let renderedReportHeader = "X-Verdant-Report-Format"
    /// The `409` message's start when the daemon cannot render HTML in the client's zone.
    public static let renderedReportZoneMismatch = "rendered report: time zone differs"
}

/// The last line of a rendered report's progress stream: the format and how many bytes follow the line.
public struct RenderedReportHeader: Codable, Sendable, Hashable {
    /// `table`, `csv`, `json` or `html`.
    public var format: String
    /// The rendered report's length in bytes (UTF-8), written right after this line's newline.
    public var bytes: Int
    /// - Parameters: see the properties.
    public init(format: String, bytes: Int) {
        self.format = format
        self.bytes = bytes
    }
}

/// The daemon's side of rendered reports. The server calls `canRender` before any work (a `409` when
/// it cannot), then `renderedReport`.
public protocol VerdantRenderedReportHandler: Sendable {
    /// Whether the daemon can render `format` (a `ReportFormat` name) as a client in zone `timeZone` would.
    /// - Returns: `nil` when it can, else the reason (the `409` message).
    func renderedReportRefusal(format: String, timeZone: String?) -> String?
    /// The report as `verdant report --format F` writes it (UTF-8 bytes); `progress` as for `report`.
    /// - Throws: `APIError` (400: a bad `since`/`until`/`by`/`format`), store errors.
    func renderedReport(since: String?, until: String?, by: String?, format: String, caller: Caller,
                        progress: ProgressSink?) async throws -> [UInt8]
}
