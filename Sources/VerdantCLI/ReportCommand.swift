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
        let r = try await withDaemon {
            defer { progress.finish() }   // before an error message, on its own line
            return progress.enabled
                ? try await global.client.report(since: since, until: until, by: by.rawValue, timeline: format == .html) {
                    progress.update($0.done, of: $0.total)
                }
                : try await global.client.report(since: since, until: until, by: by.rawValue, timeline: format == .html)
        }
        let text: String
        switch format {
        case .json: text = try ReportJSON.render(r) + "\n"
        case .csv: text = ReportText.csv(r)
        case .table: text = ReportText.table(r) + "\n"
        case .html: text = ReportHTML.render(r, displayTime: { Tables.time($0) })
        }
        guard let output else { print(text, terminator: ""); return }
        let path = Self.outputPath(output, format: format.rawValue)
        do {
            try Self.writeAtomically(text, to: path)
        } catch {
            FileHandle.standardError.write(Data("verdant: error: cannot write \(path): \(error.localizedDescription); nothing was written\n".utf8))
            throw ExitCode(73)
        }
        FileHandle.standardError.write(Data("verdant: report written to \(path)\n".utf8))
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

    /// Writes to a temporary file beside `path`, then renames it over `path`: never half a file.
    static func writeAtomically(_ text: String, to path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        let tmp = path + ".tmp-\(getpid())"
        try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
        guard rename(tmp, path) == 0 else {
            let e = errno
            unlink(tmp)
            throw POSIXError(POSIXErrorCode(rawValue: e) ?? .EIO)
        }
    }

    /// The newest `verdant-report-*` file in `dir` (by name: the names carry UTC times).
    static func newestReport(in dir: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasPrefix("verdant-report-") && !$0.contains(".tmp-") }.max()
            .map { (dir as NSString).appendingPathComponent($0) }
    }
}

extension ReportGrouping: ExpressibleByArgument {}
