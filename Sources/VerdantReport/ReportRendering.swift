import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The formats of `verdant report --format` (docs/cli.md).
public enum ReportFormat: String, CaseIterable, Sendable {
    case table, csv, json, html

    /// The HTTP content type of the rendered text (`GET /v1/report?format=…`).
    public var contentType: String {
        switch self {
        case .table: "text/plain; charset=utf-8"
        case .csv: "text/csv; charset=utf-8"
        case .json: "application/json"
        case .html: "text/html; charset=utf-8"
        }
    }
}

/// The exact text `verdant report` writes for a report, in one place: the CLI renders with it when it
/// receives the `EnergyReport` (the reference path), and `verdantd` renders with it when asked for the
/// rendered bytes (`GET /v1/report?format=…`, the fast path), so both give the same bytes.
public enum ReportRendering {
    /// The whole output: JSON and the table end with a newline, CSV and HTML as their renderers write them.
    /// - Parameters:
    ///   - generatedAt: the HTML header's generation time (now).
    ///   - displayTime: how the HTML header shows instants (`verdant report` shows the local time, `LocalTimeText.second`).
    /// - Throws: what `ReportJSON.render` throws (an encoding failure).
    public static func text(_ r: EnergyReport, format: ReportFormat, generatedAt: Date = Date(),
                            displayTime: (Date) -> String) throws -> String {
        switch format {
        case .json: try ReportJSON.render(r) + "\n"
        case .csv: ReportText.csv(r)
        case .table: ReportText.table(r) + "\n"
        case .html: ReportHTML.render(r, generatedAt: generatedAt, displayTime: displayTime)
        }
    }
}

extension ReportRendering {
    /// `text(…)`'s UTF-8 bytes; JSON straight from the writer's buffer (a year's JSON is 28–44 MB: no copy
    /// into a `String` and back). What `verdantd` sends for `GET /v1/report?format=F`.
    /// - Throws: what `text` throws.
    public static func bytes(_ r: EnergyReport, format: ReportFormat, generatedAt: Date = Date(),
                             displayTime: (Date) -> String) throws -> [UInt8] {
        if format == .json {
            var out = try ReportJSON.renderBytes(r, extra: 1)
            out.append(10)
            return out
        }
        var s = try text(r, format: format, generatedAt: generatedAt, displayTime: displayTime)
        return s.withUTF8 { Array($0) }
    }
}

/// Instants in this process's local time zone to the second, `2020-06-01 11:45:03 CEST`: C's
/// `localtime_r` and `strftime("%Y-%m-%d %H:%M:%S %Z")`, the same text `verdant`'s `TimeDisplay.local.second`
/// gives for its own zone (so `verdantd` can write the HTML header `verdant` would write when both
/// processes run in the same zone: `sameZone(as:)`).
public enum LocalTimeText {
    /// The process's zone identifier as Foundation resolves it (`TZ`, else `/etc/localtime`).
    public static var zoneIdentifier: String { TimeZone.current.identifier }

    /// Whether instants written here read the same as in a process whose zone is `identifier`.
    public static func sameZone(as identifier: String?) -> Bool { identifier == zoneIdentifier }

    private static let initialised: Bool = { tzset(); return true }()

    /// `2020-06-01 11:45:03 CEST` (the ISO-8601 UTC text when the C library cannot convert the instant).
    public static func second(_ d: Date) -> String {
        _ = initialised
        var t = time_t(d.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        if localtime_r(&t, &parts) != nil {
            var buf = [CChar](repeating: 0, count: 64)
            let n = strftime(&buf, buf.count, "%Y-%m-%d %H:%M:%S %Z", &parts)
            if n > 0 { return String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        }
        return ISO8601.string(d)
    }
}
