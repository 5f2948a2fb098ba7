import ArgumentParser
import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore
import VerdantReport
import VerdantTerminal
#if canImport(Glibc)
import Glibc
#endif

/// `verdant report`: energy and carbon per job, day, week, kind, user or zone, as a table, CSV, JSON
/// or a self-contained HTML file. Shapes in docs/cli.md.
struct Report: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Energy, carbon and savings per job, day, week, kind, user or zone, with totals.",
        discussion: """
            Examples: verdant report --since 7d --by day; verdant report --format html --output week.html; \
            verdant report --latest (the newest weekly HTML report written by verdant-report.timer).
            """)
    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json, html }
    @OptionGroup var global: GlobalOptions
    @Option(help: "Jobs started at or after this instant (ISO-8601) or this long ago (24h).") var since: String?
    @Option(help: "Jobs started before this instant (ISO-8601) or this long ago.") var until: String?
    @Option(help: "job, day, week, kind, user or zone (default: job).") var by: ReportGrouping = .job
    @Option(help: "table, csv, json or html.") var format: Format = .table
    @Option(help: "Write to FILE instead of stdout; a folder (ending in /) gets verdant-report-<time>.<ext>.") var output: String?
    @Flag(help: "Print the path of the newest report in <state-dir>/reports and exit.") var latest = false
    /// Receive the report as JSON and render it here instead of receiving the daemon's rendering (the
    /// reference path: tests and `scripts/bench-report-e2e` compare the two).
    @Flag(help: .hidden) var clientRender = false

    var stateDirectory: String {
        global.stateDirectory ?? ProcessInfo.processInfo.environment["VERDANT_STATE_DIR"] ?? "./verdant-state"
    }

    func run() async throws {
        if latest {
            let dir = (stateDirectory as NSString).appendingPathComponent("reports")
            guard let path = Self.newestReport(in: dir) else {
                FileHandle.standardError.write(Data("verdant: error: no report in \(dir) yet: verdant-report.timer writes one a week, or run verdant report --format html --output \(dir)/\n".utf8))
                throw ExitCode(1)
            }
            print(path)
            return
        }
        // Issue 12: the steps of building the report, with rate and time left, on stderr when it is a
        // terminal, the format is not JSON and the report goes to a file or a terminal (not a pipe).
        let progress = ProgressReporter(label: "report steps", json: format == .json,
                                        stderrIsTerminal: isatty(2) == 1 && (output != nil || isatty(1) == 1))
        // Issue 8: the daemon renders the report and sends the bytes (RenderedReportAPI.swift): no JSON round
        // trip of every job. `--client-render` (hidden) is the reference path: receive the `EnergyReport`
        // and render here; both write the same bytes (RenderedReportIdentityTests). The daemon declines
        // HTML when it runs in another time zone (the header shows local times); then this renders it.
        guard let output else {
            // Standard output gets the report only once all of it is in (never half a report on a pipe).
            let bytes: [UInt8] = try await withDaemon {
                defer { progress.finish() }   // before an error message, on its own line
                guard progress.enabled else { return try await reportBytes(progress: nil) }
                return try await reportBytes(progress: { progress.update($0.done, of: $0.total) })
            }
            FileHandle.standardOutput.write(Data(bytes))
            return
        }
        // A file: the daemon's bytes written as they come into a temporary file, renamed when complete.
        let path = Self.outputPath(output, format: format.rawValue)
        do {
            let file = try ReportOutputFile(path: path)
            do {
                try await withDaemon { () async throws -> Void in
                    defer { progress.finish() }
                    var sink: ProgressSink?
                    if progress.enabled { sink = { (p: ProgressEvent) in progress.update(p.done, of: p.total) } }
                    if !clientRender {
                        let rendered: Bool = try await global.client.renderedReport(
                            since: since, until: until, by: by.rawValue, format: format.rawValue,
                            timeZone: LocalTimeText.zoneIdentifier, progress: sink,
                            receive: { (chunk: UnsafeRawBufferPointer) throws -> Void in try file.write(chunk) })
                        if rendered { return }
                    }
                    let bytes = try await clientRenderedBytes(progress: sink)
                    try bytes.withUnsafeBytes { try file.write($0) }
                }
                try file.commit()
            } catch {
                file.discard()
                throw error
            }
        } catch let e as ReportOutputFile.WriteError {
            FileHandle.standardError.write(Data("verdant: error: cannot write \(e.path): \(e.reason); nothing was written\n".utf8))
            throw ExitCode(73)
        }
        FileHandle.standardError.write(Data("verdant: report written to \(path)\n".utf8))
    }

    /// The report's bytes: rendered by the daemon, or (`--client-render`, or HTML when the daemon runs in
    /// another time zone) received as an `EnergyReport` and rendered here.
    func reportBytes(progress sink: ProgressSink?) async throws -> [UInt8] {
        let client = global.client
        if !clientRender, let rendered = try await client.renderedReport(
            since: since, until: until, by: by.rawValue, format: format.rawValue,
            timeZone: LocalTimeText.zoneIdentifier, progress: sink) {
            return rendered
        }
        return try await clientRenderedBytes(progress: sink)
    }

    /// The report received as an `EnergyReport` and rendered here (`--client-render`, or HTML when the
    /// daemon runs in another time zone).
    func clientRenderedBytes(progress sink: ProgressSink?) async throws -> [UInt8] {
        let client = global.client
        let r: EnergyReport
        if let sink {
            r = try await client.report(since: since, until: until, by: by.rawValue, timeline: format == .html, progress: sink)
        } else {
            r = try await client.report(since: since, until: until, by: by.rawValue, timeline: format == .html)
        }
        let f = ReportFormat(rawValue: format.rawValue) ?? .table
        var text = try ReportRendering.text(r, format: f, displayTime: { Tables.time($0) })
        return text.withUTF8 { Array($0) }
    }

    /// `FILE` as given, or `DIR/verdant-report-<UTC time>.<ext>` for a folder.
    static func outputPath(_ output: String, format: String) -> String {
        var isDir: ObjCBool = false
        if output.hasSuffix("/") || (FileManager.default.fileExists(atPath: output, isDirectory: &isDir) && isDir.boolValue) {
            let stamp = ISO8601.string(Date()).replacingOccurrences(of: ":", with: "")
            return (output as NSString).appendingPathComponent("verdant-report-\(stamp).\(format)")
        }
        return output
    }

    /// The newest `verdant-report-*` file in `dir` (by name: the names carry UTC times).
    static func newestReport(in dir: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("verdant-report-") && !$0.contains(".tmp-") }.max()
            .map { (dir as NSString).appendingPathComponent($0) }
    }
}

extension ReportGrouping: ExpressibleByArgument {}
