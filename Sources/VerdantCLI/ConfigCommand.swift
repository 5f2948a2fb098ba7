import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `verdant config dump [--effective] [--json] [-- VERDANTD-OPTIONS…]`: the configuration as the daemon
/// sees it, with each value's source. The daemon's own loading does the work (`verdantd --dump-config`),
/// run with the running daemon's arguments, working directory and environment when one holds the state
/// folder, so nothing is parsed twice.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The daemon's configuration.",
        discussion: "Example: verdant config dump",
        subcommands: [Dump.self])

    struct Dump: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The configuration as verdantd sees it, with the source of each value (default, file, environment, command line); secrets masked.",
            discussion: """
                With a verdantd running on the state folder, its own command line, working directory and environment \
                (from /proc; root or the daemon's user) are used; else the options after '--', as verdantd would take them.
                Without --effective only the values set by a file, the environment or the command line are shown.
                Example: verdant config dump --effective -- --config systemd/verdantd.yaml.example
                """)

        @OptionGroup var global: GlobalOptions
        @Flag(help: "Show every key, defaults included.") var effective = false
        @Flag(help: "Print JSON: {pid, arguments, entries: [{key, value, source, origin, secret}]}.") var json = false
        @Option(help: "The verdantd executable (default: the one next to verdant, else on PATH).") var verdantd: String?
        @Argument(parsing: .postTerminator, help: "verdantd options to evaluate when no daemon runs on the state folder.")
        var options: [String] = []

        func run() async throws {
            guard let exe = verdantd ?? Self.findVerdantd() else {
                throw ValidationError("cannot find verdantd next to verdant or on PATH: give --verdantd PATH")
            }
            let running = options.isEmpty ? RunningDaemon.find(stateDirectory: global.resolvedStateDirectory) : nil
            let arguments = running?.arguments ?? options
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = arguments + ["--dump-config"]
            if let running {
                p.currentDirectoryURL = URL(fileURLWithPath: running.workingDirectory)
                if let env = running.environment { p.environment = env }
            }
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            guard p.terminationStatus == 0 else {
                FileHandle.standardError.write(Data(errText.utf8))
                throw ExitCode(p.terminationStatus == 78 ? 78 : 1)
            }
            guard var entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] else {
                FileHandle.standardError.write(Data("verdant: error: \(exe) --dump-config gave no JSON list: is it the same release as verdant?\n".utf8))
                throw ExitCode(1)
            }
            if !effective { entries = entries.filter { ($0["source"] as? String) != "default" } }
            if json {
                try printJSONObject(["pid": running.map { Int($0.pid) } ?? NSNull(), "arguments": arguments, "entries": entries])
                return
            }
            if let running {
                print("configuration of the running verdantd (pid \(running.pid))" + (running.environment == nil ? "; its environment is not readable, yours is used for credentials" : ""))
            } else {
                print("configuration of: verdantd \(arguments.joined(separator: " "))"
                      + (options.isEmpty ? " (no verdantd runs on \(global.resolvedStateDirectory))" : ""))
            }
            print(Self.table(entries))
        }

        /// Key, value and source columns.
        static func table(_ entries: [[String: Any]]) -> String {
            let rows = entries.map { e -> (String, String, String) in
                let source = e["source"] as? String ?? "?"
                let origin = (e["origin"] as? String).map { " (\($0))" } ?? ""
                return (e["key"] as? String ?? "?", e["value"] as? String ?? "(unset)", source + origin)
            }
            let kw = max(3, rows.map(\.0.count).max() ?? 0), vw = min(48, max(5, rows.map(\.1.count).max() ?? 0))
            func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
            return ([pad("KEY", kw) + "  " + pad("VALUE", vw) + "  SOURCE"] + rows.map { pad($0.0, kw) + "  " + pad($0.1, vw) + "  " + $0.2 })
                .joined(separator: "\n")
        }

        /// `verdantd` next to this executable, else the first on `PATH`.
        static func findVerdantd() -> String? {
            let here = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
            let candidates = [here.appendingPathComponent("verdantd").path]
                + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { $0 + "/verdantd" }
            return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        }
    }
}

/// The verdantd holding a state folder's lock (`<state>/verdantd.lock` holds its pid), read from /proc.
struct RunningDaemon {
    let pid: Int32
    let arguments: [String]
    let workingDirectory: String
    /// `nil` when `/proc/PID/environ` is not readable (another user's daemon).
    let environment: [String: String]?

    static func find(stateDirectory: String, procRoot: String = "/proc") -> RunningDaemon? {
        guard let text = try? String(contentsOfFile: stateDirectory + "/verdantd.lock", encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 0,
              let comm = try? String(contentsOfFile: "\(procRoot)/\(pid)/comm", encoding: .utf8),
              comm.trimmingCharacters(in: .whitespacesAndNewlines) == "verdantd",
              let cmdline = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/cmdline"),
              let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "\(procRoot)/\(pid)/cwd") else { return nil }
        let args = cmdline.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var env: [String: String]?
        if let e = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/environ") {
            env = [:]
            for entry in e.split(separator: 0) {
                let s = String(decoding: entry, as: UTF8.self)
                if let eq = s.firstIndex(of: "=") { env?[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
            }
        }
        // Drop argv[0] and the empty string after the final NUL.
        let options = Array(args.dropFirst()).filter { !$0.isEmpty || false }
        return RunningDaemon(pid: pid, arguments: options, workingDirectory: cwd, environment: env)
    }
}
