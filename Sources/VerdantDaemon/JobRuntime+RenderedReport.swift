import Foundation
import VerdantAPI
import VerdantCore
import VerdantReport

// MARK: Reports rendered here (issue 8; the wire format is in VerdantAPI/RenderedReportAPI.swift)

extension JobRuntime: VerdantRenderedReportHandler {
    /// `nil` (renders) for table, CSV and JSON, and for HTML when the client's zone is this process's
    /// (the HTML header shows local times); otherwise the `409` message.
    public nonisolated func renderedReportRefusal(format: String, timeZone: String?) -> String? {
        guard let f = ReportFormat(rawValue: format) else { return nil }   // `renderedReport` answers 400
        if f == .html, !LocalTimeText.sameZone(as: timeZone) {
            return "\(APIRoutes.renderedReportZoneMismatch): verdant runs in \(timeZone ?? "no zone given"), verdantd in \(LocalTimeText.zoneIdentifier); ask for the report without format"
        }
        return nil
    }

    /// Builds the report as `report(…)` does (on the actor), then renders it off the actor with
    /// `ReportRendering.bytes`, the renderer `verdant report` uses.
    public nonisolated func renderedReport(since: String?, until: String?, by: String?, format: String, caller: Caller,
                                           progress: ProgressSink?) async throws -> [UInt8] {
        guard let f = ReportFormat(rawValue: format) else {
            throw APIError.badRequest("format '\(format)' is not a report format: use one of \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let r = try await report(since: since, until: until, by: by, timeline: f == .html, caller: caller, progress: progress ?? { _ in })
        return try ReportRendering.bytes(r, format: f, displayTime: LocalTimeText.second)
    }
}
