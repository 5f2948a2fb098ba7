import Foundation
import Testing

/// Every command's `--help` carries an example, and each example works against a real daemon in a
/// temporary state folder (issue 12). Shell completions and man pages come from the same parsers.
@Suite(.serialized) struct HelpExampleTests {
    /// Examples that take minutes in a debug build on a loaded machine (a year-long backtest, training
    /// on a year, a year of jobs): run only with VERDANT_LONG_EXAMPLES=1; otherwise the files they name
    /// must exist and the command must parse (`--help` of the same words answers 0).
    static let long = ["verdant forecast eval", "verdant forecast bench", "verdant simulate"]

    /// The command paths under `verdant`, from the parser's own description (`--experimental-dump-help`).
    func commandPaths() throws -> [[String]] {
        let r = try runTool("verdant", ["--experimental-dump-help"])
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        var out: [[String]] = []
        func walk(_ c: [String: Any], _ path: [String]) {
            let p = path + [c["commandName"] as? String ?? "?"]
            if p.last != "help" { out.append(Array(p.dropFirst())) }
            for s in c["subcommands"] as? [[String: Any]] ?? [] { walk(s, p) }
        }
        walk(try #require(obj["command"] as? [String: Any]), [])
        return out
    }

    /// `Example: verdant …` lines (and `Examples: a; b (note)`) of a help text printed 1000 columns wide.
    static func examples(inHelp text: String) -> [String] {
        var out: [String] = []
        for raw in text.split(separator: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("Example: ") {
                out.append(String(line.dropFirst("Example: ".count)))
            } else if line.hasPrefix("Examples: ") {
                for part in line.dropFirst("Examples: ".count).components(separatedBy: "; ") {
                    var e = part.trimmingCharacters(in: CharacterSet(charactersIn: ". "))
                    if let paren = e.range(of: " (") { e = String(e[..<paren.lowerBound]) }
                    out.append(e)
                }
            }
        }
        return out.filter { $0.hasPrefix("verdant ") }
    }

    @Test func everyCommandsHelpHasAnExampleThatWorks() throws {
        let state = temporaryDirectory("examples")
        let daemon = try DaemonProcess(stateDirectory: state, args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "360", "--replay-start", "2020-06-10T00:00:00Z",
            "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power",
            "--sample-interval", "0.2s", "--flush-interval", "1s"])
        // The examples name repository files relatively, and may write files: run them in a scratch
        // folder that links the repository's folders.
        let cwd = temporaryDirectory("examples-cwd")
        for d in ["docs", "Sources", "Tests", "systemd"] {
            try FileManager.default.createSymbolicLink(at: cwd.appendingPathComponent(d), withDestinationURL: repoRoot.appendingPathComponent(d))
        }
        var env = ProcessInfo.processInfo.environment
        env["VERDANT_STATE_DIR"] = state.path
        env["COLUMNS"] = "1000"
        func run(_ words: [String]) throws -> CommandResult {
            let p = Process()
            p.executableURL = binDirectory.appendingPathComponent("verdant")
            p.arguments = words
            p.environment = env
            p.currentDirectoryURL = cwd
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            try p.run()
            let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
        }

        var all: [(command: String, example: String)] = []
        for path in try commandPaths() {
            let help = try run(path + ["--help"])
            #expect(help.status == 0, "verdant \(path.joined(separator: " ")) --help: \(help.stderr)")
            let found = Self.examples(inHelp: help.stdout)
            #expect(!found.isEmpty, "verdant \(path.joined(separator: " ")) --help has no 'Example: verdant …' line")
            let name = (["verdant"] + path).joined(separator: " ")
            all += found.map { (name, $0) }
        }
        #expect(all.count >= 25, "only \(all.count) examples found")
        // Submissions first (job 1 is planned for later, job 2 an inference job that runs soon), then the
        // cancel of the queued job 1, the rest, and last the log of job 2 once it has run.
        func rank(_ e: String) -> Int {
            e.hasPrefix("verdant submit") ? 0 : e.hasPrefix("verdant cancel") ? 1 : e.hasPrefix("verdant logs") ? 4 : e.contains("--latest") ? 3 : 2
        }
        var seen: Set<String> = []
        let ordered = all.filter { seen.insert($0.example).inserted }.enumerated()
            .sorted { (rank($0.element.example), $0.offset) < (rank($1.element.example), $1.offset) }.map(\.element)
        let runLong = ProcessInfo.processInfo.environment["VERDANT_LONG_EXAMPLES"] == "1"
        var ran = 0
        for (command, example) in ordered {
            let words = Array(example.split(separator: " ").map(String.init).dropFirst())
            if example.hasPrefix("verdant logs "), let id = words.last {
                // As a reader would: the log exists once the job has run.
                let ended = try waitFor(240) { () -> Bool? in
                    let r = try run(["show", id, "--json"])
                    let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                    return (obj?["ended_at"] as? String) != nil ? true : nil
                }
                #expect(ended == true, "job \(id) did not run within 240 s")
            }
            if example.contains("--latest") {
                // As verdant-report.timer leaves one: a weekly HTML report in <state>/reports.
                let made = try run(["report", "--format", "html", "--output", state.appendingPathComponent("reports").path + "/"])
                #expect(made.status == 0, "making the report that --latest finds: \(made.stderr)")
            }
            if !runLong, Self.long.contains(where: { example.hasPrefix($0 + " ") }) {
                for (i, w) in words.enumerated() where i > 0 && ["--trace", "--jobs", "--data"].contains(words[i - 1]) {
                    #expect(FileManager.default.fileExists(atPath: cwd.appendingPathComponent(w).path), "\(command): example names \(w), which does not exist")
                }
                let parse = try run(words + ["--help"])
                #expect(parse.status == 0, "\(example) --help: \(parse.stderr)")
                print("example not run (long; VERDANT_LONG_EXAMPLES=1 runs it): \(example)")
                continue
            }
            let r = try run(words)
            #expect(r.status == 0, "the example of \(command) failed (\(r.status)): \(example)\nstdout: \(r.stdout.prefix(2000))\nstderr: \(r.stderr.prefix(2000))")
            ran += 1
        }
        print("help examples run: \(ran) of \(ordered.count)")
        _ = daemon.terminate()
    }

    @Test func completionsAndManPagesAreGeneratedFromTheParsers() throws {
        let out = temporaryDirectory("shell-files")
        let r = try runProgram(repoRoot.appendingPathComponent("scripts/generate-shell-files").path, [binDirectory.path, out.path])
        try #require(r.status == 0, "generate-shell-files failed: \(r.stderr)")
        func read(_ p: String) throws -> String { try String(contentsOf: out.appendingPathComponent(p), encoding: .utf8) }
        for exe in ["verdant", "verdantd"] {
            let bash = try read("completions/bash/\(exe)")
            #expect(try runProgram("/bin/bash", ["-n", out.appendingPathComponent("completions/bash/\(exe)").path]).status == 0, "bash -n \(exe)")
            #expect(bash.contains("complete -o filenames -F _\(exe) \(exe)") || bash.contains("complete -F _\(exe)"), "no complete line for \(exe)")
            #expect(try read("completions/zsh/_\(exe)").hasPrefix("#compdef \(exe)"))
            #expect(try read("completions/fish/\(exe).fish").contains("complete -c '\(exe)'"))
            let man = try read("man/\(exe).1")
            #expect(man.contains(".Dt \(exe.uppercased()) 1"))
        }
        // Every subcommand and the new options are in them.
        let bash = try read("completions/bash/verdant")
        for word in ["doctor", "config", "dump", "--effective", "submit", "--deadline"] { #expect(bash.contains(word), "bash completion lacks \(word)") }
        #expect(try read("completions/fish/verdant.fish").contains("doctor"))
        #expect(try read("man/verdant.1").contains("doctor"))
        #expect(try read("man/verdantd.1").contains("dump-config"))
    }
}
