import ArgumentParser
import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore
import VerdantTerminal

// MARK: Grid intensity (issue 4): `verdant intensity`, `intensity import`, `intensity sources`.

struct Intensity: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Grid carbon intensity: stored points, imports, and the provider chain.",
        discussion: "JSON shapes are documented in docs/cli.md (\"JSON: intensity\").\nExample: verdant intensity sources",
        subcommands: [IntensityShow.self, IntensityImportCommand.self, IntensitySources.self],
        defaultSubcommand: IntensityShow.self)
    /// Lets `--state-dir` come before the subcommand name too (`verdant intensity --state-dir D sources`).
    @OptionGroup var global: GlobalOptions
}

struct IntensityShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Stored intensity points (actuals, or forecasts with --forecast); missing values show as '-'.",
        discussion: "Example: verdant intensity show --since 6h")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Grid zone (default: the daemon's intensity-zone).") var zone: String?
    @Option(help: "From this instant (ISO-8601) or this long ago (24h). Default: 24h.") var since: String?
    @Option(help: "Until this instant (ISO-8601) or this long ahead (48h). Default: 48h.") var until: String?
    @Flag(help: "Forecast points (with their issue time) instead of actuals.") var forecast = false
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let points = try await withDaemon { try await global.client.intensity(zone: zone, since: since, until: until, forecast: forecast) }
        if json { try printJSON(points); return }
        if points.isEmpty { print("no intensity points stored for this zone and range"); return }
        var lines = ["start                 duration  gCO2eq/kWh  kind      source" + (forecast ? "                issued_at" : "")]
        for p in points {
            let v = p.gramsPerKWh.map { Tables.number($0) } ?? "-"
            var line = Tables.shortTime(p.start).padded(22)
                + DurationSyntax.format(seconds: p.durationSeconds).padded(10)
                + v.padded(12) + p.kind.padded(10) + p.source.padded(22)
            if forecast { line += p.issuedAt.map { Tables.shortTime($0) } ?? "" }
            lines.append(line)
        }
        print(lines.joined(separator: "\n"))
    }
}

extension String {
    /// Pads with spaces to `width` characters, never truncating (a longer string gets one space).
    func padded(_ width: Int) -> String { count >= width ? self + " " : self + String(repeating: " ", count: width - count) }
}

struct IntensityImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a CSV or JSON intensity file into the daemon's store (root only).",
        discussion: "A bad row stops the import with file:line and nothing is written. Gaps are reported, never filled silently. On a terminal (without --json) stderr shows the slots written, the rate and the time left.\nExample: verdant intensity import Sources/VerdantDaemon/Resources/traces/de-2020-06_entsoe_15min.csv --zone DE")
    enum Format: String, ExpressibleByArgument, CaseIterable { case csv, json }
    enum Kind: String, ExpressibleByArgument, CaseIterable { case average, marginal }
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The file.") var file: String
    @Option(help: "Grid zone to store (default: the CSV value-column header, or the JSON points' zone).") var zone: String?
    @Option(help: "csv or json (default: from the file name's extension).") var format: Format?
    @Option(help: "average or marginal (default: average).") var kind: Kind = .average
    @Flag(help: "Print the result as JSON.") var json = false

    func run() async throws {
        let content: String
        do {
            content = try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            FileHandle.standardError.write(Data("verdant: error: \(file): cannot read it as UTF-8 text (\(error.localizedDescription))\n".utf8))
            throw ExitCode(1)
        }
        let f = format ?? (file.lowercased().hasSuffix(".json") ? .json : .csv)
        let request = IntensityImportRequest(fileName: file, content: content, format: f.rawValue, zone: zone, kind: kind.rawValue)
        // On a terminal without --json: the daemon streams the slots written, shown with rate and time left (issue 12).
        let progress = ProgressReporter(label: "slots written", json: json)
        let r = try await withDaemon {
            defer { progress.finish() }   // before an error message, on its own line
            return progress.enabled
                ? try await global.client.importIntensity(request) { e in
                    // The rate is that of the write: its clock starts when the daemon has parsed the file (done 0).
                    if e.done == 0 { progress.restartClock() }
                    progress.update(e.done, of: e.total)
                }
                : try await global.client.importIntensity(request)
        }
        if json { try printJSON(r); return }
        print("imported \(r.slots) slots (\(r.known) with a value) for zone \(r.zone) as \(r.source), \(r.kind); columns: \(r.mapping)")
        if let a = r.first, let b = r.last { print("from \(Tables.time(a)) to \(Tables.time(b))") }
        if r.gaps.isEmpty {
            print("no gaps")
        } else {
            print("\(r.gaps.count) gap(s):")
            for g in r.gaps {
                print("  line \(g.line.map(String.init) ?? "?"): \(g.reason) \(Tables.time(g.start)) – \(Tables.time(g.end)) (\(DurationSyntax.format(seconds: g.end.timeIntervalSince(g.start))))")
            }
        }
    }
}

struct IntensitySources: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sources",
        abstract: "The configured intensity chain: health, last fetch, age of the newest point.",
        discussion: "Example: verdant intensity sources --json")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print a JSON list.") var json = false

    func run() async throws {
        let sources = try await withDaemon { try await global.client.intensitySources() }
        if json { try printJSON(sources); return }
        for s in sources {
            var line = "\(s.position). \(s.name) (\(s.kind)): \(s.health)\(s.inUse ? ", IN USE" : "")"
            if let f = s.lastFetch { line += "; last fetch \(Tables.time(f))" }
            if let n = s.newestPoint, let age = s.newestPointAgeSeconds {
                line += "; newest point \(Tables.time(n)) (" + (age >= 0 ? "\(DurationSyntax.format(seconds: age)) ago" : "in \(DurationSyntax.format(seconds: -age))") + ")"
            }
            if s.consecutiveFailures > 0 { line += "; \(s.consecutiveFailures) failure(s)" }
            if let n = s.nextAttempt { line += "; next attempt \(Tables.time(n))" }
            if let e = s.lastError { line += "\n     last error: \(e)" }
            if let d = s.detail { line += "\n     \(d)" }
            print(line)
        }
    }
}
