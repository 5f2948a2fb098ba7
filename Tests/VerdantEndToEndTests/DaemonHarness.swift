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

/// Runs one of the built executables to completion and captures its output.
func runTool(_ name: String, _ args: [String], environment: [String: String]? = nil) throws -> CommandResult {
    try runProgram(binDirectory.appendingPathComponent(name).path, args, environment: environment)
}

/// Runs a program to completion and captures its output.
func runProgram(_ path: String, _ args: [String], environment: [String: String]? = nil) throws -> CommandResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
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
    /// A command the daemon and the CLI calls are run under, e.g. `setpriv --reuid=65534 …`.
    let launcher: [String]

    init(stateDirectory: URL, args: [String], environment: [String: String] = [:], launcher: [String] = []) throws {
        self.launcher = launcher
        self.stateDirectory = stateDirectory
        logURL = stateDirectory.deletingLastPathComponent().appendingPathComponent(stateDirectory.lastPathComponent + ".daemon.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        let log = try FileHandle(forWritingTo: logURL)
        log.seekToEndOfFile()
        let daemonArgs = ["--state-dir", stateDirectory.path] + args
        if launcher.isEmpty {
            process.executableURL = binDirectory.appendingPathComponent("verdantd")
            process.arguments = daemonArgs
        } else {
            process.executableURL = URL(fileURLWithPath: launcher[0])
            process.arguments = Array(launcher.dropFirst()) + [binDirectory.appendingPathComponent("verdantd").path] + daemonArgs
        }
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        }
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
        let full = [args[0], "--state-dir", stateDirectory.path] + args.dropFirst()
        if launcher.isEmpty { return try runTool("verdant", full) }
        return try runProgram(launcher[0], Array(launcher.dropFirst()) + [binDirectory.appendingPathComponent("verdant").path] + full)
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

/// A real `AF_UNIX` datagram socket standing in for systemd's notification socket (sd_notify(3)):
/// the daemon's libsystemd sends to it exactly as it would to systemd.
final class NotifySocket {
    let path: String
    private let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw HarnessError("socket path too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
    }

    /// Every message received within `seconds`, each with the monotonic time it arrived (s).
    func receiveAll(seconds: Double) -> [(time: Double, message: String)] {
        var out: [(Double, String)] = []
        let start = Date()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date().timeIntervalSince(start) < seconds {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                var ts = timespec()
                clock_gettime(CLOCK_MONOTONIC, &ts)
                out.append((Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9, String(decoding: buffer[0..<n], as: UTF8.self)))
            } else {
                usleep(2_000)
            }
        }
        return out
    }

    /// Every message received within `seconds`, until one contains `until`.
    func receive(until needle: String, seconds: Double) -> [String] {
        var messages: [String] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while Date() < deadline {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            if n > 0 {
                let m = String(decoding: buffer[0..<n], as: UTF8.self)
                messages.append(m)
                if m.contains(needle) { break }
            } else {
                usleep(20_000)
            }
        }
        return messages
    }

    deinit {
        close(fd)
        unlink(path)
    }
}
