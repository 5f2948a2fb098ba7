import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The repository root, from this file's path.
let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Where `swift build` put `verdantd` and `verdant` (override with VERDANT_BIN_DIR).
let binDirectory: URL = {
    if let d = ProcessInfo.processInfo.environment["VERDANT_BIN_DIR"] { return URL(fileURLWithPath: d) }
    return repoRoot.appendingPathComponent(".build/debug")
}()

/// The real trace the daemon bundles, read by tests with their own parser.
let bundledTrace = repoRoot.appendingPathComponent("Sources/VerdantDaemon/Resources/traces/de-2020-06_entsoe_15min.csv")

struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs an executable to completion and captures its output.
func runTool(_ name: String, _ args: [String], environment: [String: String]? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = binDirectory.appendingPathComponent(name)
    p.arguments = args
    if let environment { p.environment = environment }
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let o = out.fileHandleForReading.readDataToEndOfFile()
    let e = err.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
}

/// A fresh temporary folder.
func temporaryDirectory(_ label: String) -> URL {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-\(label)-\(UUID().uuidString.prefix(8))")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir
}

/// A real `verdantd` process on a temporary state folder.
final class DaemonProcess {
    let stateDirectory: URL
    let process = Process()
    let logURL: URL

    /// Starts `verdantd --state-dir DIR` with `args` and waits until `verdant status` answers.
    init(stateDirectory: URL, args: [String]) throws {
        self.stateDirectory = stateDirectory
        logURL = stateDirectory.deletingLastPathComponent().appendingPathComponent(stateDirectory.lastPathComponent + ".daemon.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        process.executableURL = binDirectory.appendingPathComponent("verdantd")
        process.arguments = ["--state-dir", stateDirectory.path] + args
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if !process.isRunning { throw HarnessError("verdantd exited early:\n" + daemonLog()) }
            if let r = try? cli(["status", "--json"]), r.status == 0 { return }
            usleep(100_000)
        }
        throw HarnessError("verdantd did not answer within 60 s:\n" + daemonLog())
    }

    func cli(_ args: [String]) throws -> CommandResult {
        try runTool("verdant", [args[0], "--state-dir", stateDirectory.path] + args.dropFirst())
    }

    /// Runs `verdant ARGS --json` and decodes its output.
    func json(_ args: [String]) throws -> Any {
        let r = try cli(args + ["--json"])
        guard r.status == 0 else { throw HarnessError("verdant \(args) failed (\(r.status)): \(r.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    func daemonLog() -> String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    /// SIGTERM, then waits for the exit.
    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// Polls `body` until it returns non-nil or `seconds` pass.
func waitFor<T>(_ seconds: Double, _ body: () throws -> T?) throws -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if let v = try body() { return v }
        usleep(200_000)
    }
    return nil
}

/// The trace as the test reads it, independently of the daemon: `time,DE` rows, times UTC, one value
/// holding for 15 minutes from its time.
struct IndependentTrace {
    let times: [Double]   // seconds since 1970
    let values: [Double]
    let step: Double = 900

    init(url: URL) throws {
        var t: [Double] = [], v: [Double] = []
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = TimeZone(identifier: "UTC")
        fmt.dateFormat = "yyyy-MM-dd HH:mm:ss"
        for line in try String(contentsOf: url, encoding: .utf8).split(separator: "\n").dropFirst() {
            let f = line.split(separator: ",")
            t.append(fmt.date(from: String(f[0]))!.timeIntervalSince1970)
            v.append(Double(f[1])!)
        }
        times = t
        values = v
    }

    /// ∫ intensity over [a, b] / (b − a), by summing the overlap with each 15-minute slot.
    func mean(_ a: Double, _ b: Double) -> Double {
        var integral = 0.0
        for (i, start) in times.enumerated() {
            let lo = max(a, start), hi = min(b, start + step)
            if hi > lo { integral += values[i] * (hi - lo) }
        }
        return integral / (b - a)
    }

    /// The smallest window mean over starts in [from, latest], searched over every slot boundary s and
    /// s − d in range plus both ends (where a step function's window mean can attain its minimum),
    /// and the earliest start that attains it.
    func cheapestStart(from: Double, latest: Double, duration d: Double) -> (start: Double, mean: Double) {
        var candidates = [from, latest]
        for t in times {
            for s in [t, t - d, t + step, t + step - d] where s >= from && s <= latest { candidates.append(s) }
        }
        var best = (start: from, mean: mean(from, from + d))
        for s in candidates.sorted() {
            let m = mean(s, s + d)
            if m < best.mean - 1e-9 { best = (s, m) }
        }
        return best
    }
}

func date(_ any: Any?) -> Date? { (any as? String).flatMap(ISO8601.parse) }
