import Foundation
import GRDB
import VerdantStore
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Issue 10: two processes writing the same database file at the same time — the daemon (a real
/// `verdantd`, sampling at 100 Hz and writing every 10 ms) and the maintenance
/// command `verdantd import-intensity --batch-rows 1` (1,000 rows per file, one transaction each) —
/// lose no row and never surface `database is locked`. Imports are repeated until the daemon, too, has
/// made at least 1,000 inserts while they ran.
@Suite(.serialized) struct TwoProcessWritersTests {
    /// 1,000 hourly slots from 2021-01-01T00:00Z of zone `zone`, value = 100 + row index (+ `offset`).
    static func csv(zone: String, offset: Int) -> String {
        var s = "time,\(zone)\n"
        let t0 = ISO8601DateFormatter().date(from: "2021-01-01T00:00:00Z")!.timeIntervalSince1970
        let f = ISO8601DateFormatter()
        for i in 0..<1000 { s += "\(f.string(from: Date(timeIntervalSince1970: t0 + Double(i) * 3600))),\(100 + i + offset)\n" }
        return s
    }

    @Test func daemonAndMaintenanceCommandWriteAtOnceLosingNothing() throws {
        let dir = temporaryDirectory("twowriters")
        defer { try? FileManager.default.removeItem(at: dir) }
        let state = dir.appendingPathComponent("state")
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--replay-speed", "0", "--static-intensity", "300", "--sample-interval", "0.01s", "--flush-interval", "0.01s",
            "--powercap-root", "/nonexistent/powercap", "--perf-power-root", ""])
        let dbPath = state.appendingPathComponent("verdant.sqlite").path
        var config = Configuration()
        config.readonly = true
        let pool = try DatabasePool(path: dbPath, configuration: config)
        // Samples are stored per tick in `energy_ticks` (EnergyTicks.swift): counted through its reader.
        func daemonSamples() throws -> Int { try pool.read { try VerdantDatabase.samples($0).count } }

        let before = try daemonSamples()
        var imports: [(zone: String, offset: Int)] = []
        var outputs: [CommandResult] = []
        // Until the daemon has made 1,000 inserts (it makes 30 to 100 a second), at most 200 imports
        // (200,000 rows) or 180 s: an import takes 0.25 s on a fast disk and several on a slow one, so a
        // fixed count of imports would not always overlap 1,000 of the daemon's inserts.
        let started = Date()
        while imports.count < 200 && Date().timeIntervalSince(started) < 180 {
            let zone = "Z\(imports.count)", offset = imports.count * 10_000
            let file = dir.appendingPathComponent("two-writers-\(zone).csv")
            try Self.csv(zone: zone, offset: offset).write(to: file, atomically: true, encoding: .utf8)
            let r = try runTool("verdantd", ["import-intensity", file.path, "--state-dir", state.path, "--batch-rows", "1"])
            imports.append((zone, offset))
            outputs.append(r)
            if try daemonSamples() - before >= 1000 { break }
        }
        let daemonInserts = try daemonSamples() - before
        #expect(daemonInserts >= 1000, "the daemon inserted only \(daemonInserts) samples while \(imports.count) imports ran")
        #expect(daemon.terminate() == 0)
        print("two writers: verdantd inserted \(daemonInserts) samples while \(imports.count) 'verdantd import-intensity --batch-rows 1' runs inserted \(imports.count * 1000) slots")

        for (r, imp) in zip(outputs, imports) {
            #expect(r.status == 0, "import \(imp.zone): \(r.stderr)")
            #expect(r.stdout.contains("stored 1000 slot(s) of zone \(imp.zone)") && r.stdout.contains("in 1000 transaction(s)"), "\(r.stdout)")
            #expect(!r.stderr.lowercased().contains("locked") && !r.stdout.lowercased().contains("locked"))
        }
        let log = daemon.daemonLog()
        #expect(!log.lowercased().contains("locked"), "\(log.suffix(2000))")
        #expect(!log.contains("writing samples failed"), "\(log.suffix(2000))")

        // Every imported row, with its exact value.
        for imp in imports {
            let rows = try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT intensity_g_per_kwh AS v FROM intensity_slots WHERE zone = ? AND source = ? ORDER BY start_at",
                                 arguments: [imp.zone, "import:two-writers-\(imp.zone).csv"])
            }
            #expect(rows.count == 1000, "zone \(imp.zone): \(rows.count) rows")
            #expect(rows.map { $0["v"] as Double } == (0..<1000).map { Double(100 + $0 + imp.offset) })
        }
        // The daemon's samples: each starts where the previous one ended (within the 1 ms the store
        // keeps), so none is missing.
        let spans = try pool.read { db in try VerdantDatabase.samples(db) }
        var gaps = 0
        for k in spans.indices.dropFirst() {
            let gap = spans[k].startAt.timeIntervalSince(spans[k - 1].endAt)
            if abs(gap) > 0.003 { gaps += 1 }
        }
        #expect(gaps == 0, "\(gaps) gaps or overlaps between consecutive samples of \(spans.count)")
        #expect(spans.count >= before + daemonInserts)
    }
}
