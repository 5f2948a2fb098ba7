import ArgumentParser
import Foundation
import VerdantCore
import VerdantStore
import VerdantTerminal

/// `verdantd import-intensity FILE`: a maintenance command that writes grid-intensity slots from a
/// CSV or JSON file (`IntensityImport`, the formats of `verdant intensity import`) straight into the
/// state folder's database, whether or not the daemon runs on it: for bulk history before a first
/// start, or when the API socket is not reachable. The daemon and this command then write the same
/// file from two processes; SQLite's WAL serialises the writers, each transaction is `IMMEDIATE` and
/// waits up to `VerdantDatabase.busyTimeoutSeconds` for the other, so neither sees `database is
/// locked` (issue 10). A running daemon uses the slots from its next intensity refresh or restart;
/// the forecaster retrains on them at its next scheduled training.
///
/// On a terminal, stderr shows the slots written so far with the rate and time left, every 256 rows
/// (`ProgressReporter`); redirected, it stays quiet.
///
/// Exit status: 0 stored; 1 the file is unreadable or malformed (nothing written; `FILE:LINE: what to
/// fix`) or a write failed (with `--batch-rows`, the batches already committed stay; running the same
/// import again replaces them, as the slots' unique key replaces on conflict); 78 bad options.
public struct ImportIntensityCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "import-intensity",
        abstract: "Maintenance: import grid-intensity slots (CSV or JSON) straight into the state folder's database.",
        discussion: """
            Writes the database file directly (the daemon may be running on it; both writers wait for each other). \
            The file formats are those of 'verdant intensity import' (docs/cli.md).
            """)

    @Argument(help: "CSV or JSON file of intensity points (time, gCO2eq/kWh).")
    var file: String
    /// `verdantd`'s own options: `--state-dir` and `--config` (given before or after the subcommand) say
    /// which state folder's database to write.
    @ParentCommand var daemon: DaemonCommand
    @Option(name: .customLong("zone"), help: "Zone to store (default: the CSV value column's header or the JSON points' zone).")
    var zone: String?
    @Option(name: .customLong("format"), help: "csv or json (default: from the file name's extension, else csv).")
    var format: String?
    @Option(name: .customLong("kind"), help: "average or marginal.")
    var kind: String = "average"
    @Option(name: .customLong("batch-rows"), help: "Slots per write transaction (default: all in one transaction, so a failure writes nothing).")
    var batchRows: Int?

    public init() {}

    public func run() throws {
        guard let fmt = IntensityImportFormat(rawValue: format ?? (file.lowercased().hasSuffix(".json") ? "json" : "csv")) else {
            throw Self.fail(78, "--format must be csv or json, got '\(format ?? "")'")
        }
        guard let signal = IntensitySignalKind(rawValue: kind) else { throw Self.fail(78, "--kind must be average or marginal, got '\(kind)'") }
        if let b = batchRows, b < 1 { throw Self.fail(78, "--batch-rows must be 1 or more, got \(b)") }
        let c: DaemonConfiguration
        do {
            c = try daemon.effectiveConfiguration()
        } catch let e as ConfigurationError {
            throw Self.fail(78, "\(e)")
        } catch let e as ValidationError {
            throw Self.fail(78, e.message)
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: c.stateDirectory, isDirectory: &isDir), isDir.boolValue else {
            throw Self.fail(1, "state folder \(c.stateDirectory) does not exist: give the daemon's --state-dir")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw Self.fail(1, "\(file): cannot read the file (missing, unreadable or not UTF-8); nothing was imported")
        }
        let name = URL(fileURLWithPath: file).lastPathComponent
        let parsed: IntensityImport
        do {
            parsed = try IntensityImport.parse(text, format: fmt, zone: zone, kind: signal, source: "import:" + name)
        } catch let e as TraceParseError {
            throw Self.fail(1, "\(file):\(e.line): \(e.message); nothing was imported")
        } catch {
            throw Self.fail(1, "\(file): \(error); nothing was imported")
        }
        let path = c.stateDirectory + "/verdant.sqlite"
        let batch = batchRows ?? max(1, parsed.slots.count)
        var stored = 0, transactions = 0
        do {
            let db = try VerdantDatabase(path: path)
            let fetchedAt = Date()
            // On a terminal: slots written, rate and time left, every 256 rows (issue 12).
            let progress = ProgressReporter(label: "slots written", json: false)
            let total = parsed.slots.count
            var i = parsed.slots.startIndex
            while i < parsed.slots.endIndex {
                let j = min(i + batch, parsed.slots.endIndex)
                let before = stored
                try db.store(slots: Array(parsed.slots[i..<j]), fetchedAt: fetchedAt) { n in progress.update(before + n, of: total) }
                stored += j - i
                transactions += 1
                progress.update(stored, of: total)
                i = j
            }
            try db.close()
        } catch {
            let kept = stored > 0 ? "; \(stored) slot(s) in \(transactions) transaction(s) were stored before it (run the same import again to complete it)" : "; nothing was imported"
            throw Self.fail(1, "writing \(path) failed: \(error)\(kept)")
        }
        print("stored \(stored) slot(s) of zone \(parsed.slots.first?.zone ?? "-") from \(name) (source import:\(name), \(parsed.knownCount) with a value, "
              + "\(parsed.gaps.count) gap(s)) into \(path) in \(transactions) transaction(s)")
    }

    private static func fail(_ code: Int32, _ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("verdantd import-intensity: error: \(message)\n".utf8))
        return ExitCode(code)
    }
}
