import Foundation
import Testing

/// docs/getting-started.md is run as written (issue 12): every `$ verdant …` line of its console blocks
/// runs, in order, against a daemon started with the options of its `$ verdantd …` line, in a scratch
/// folder; each must exit as the page shows (`# exit N` after the output, else 0) and print every
/// label the pasted output shows (`label`: numbers, times and paths differ from run to run, the shape
/// must not). `<!-- test: wait job N succeeded -->` waits as the reader does.
@Suite(.serialized) struct GettingStartedTests {
    struct Step {
        var command: [String]
        var expected: [String]
        var exitStatus: Int32 = 0
        var waitForJob: Int?
        /// Whether the guide has started verdantd before this step.
        var afterDaemon = false
    }

    static func steps(_ text: String) -> (daemon: [String], steps: [Step]) {
        var daemon: [String] = []
        var steps: [Step] = []
        var inBlock = false
        var pendingWait: Int?
        for raw in text.components(separatedBy: "\n") {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("<!-- test: wait job "), let n = Int(line.split(separator: " ")[4]) { pendingWait = n; continue }
            if line.hasPrefix("```") { inBlock = line == "```console"; continue }
            guard inBlock else { continue }
            if line.hasPrefix("$ verdantd ") {
                daemon = line.dropFirst(2).split(separator: " ").map(String.init).filter { $0 != "&" }.dropFirst().map { $0 }
            } else if line.hasPrefix("$ verdant ") {
                steps.append(Step(command: line.dropFirst(2).split(separator: " ").dropFirst().map(String.init), expected: [],
                                  waitForJob: pendingWait, afterDaemon: !daemon.isEmpty))
                pendingWait = nil
            } else if line.hasPrefix("$ ") {
                continue   // build and install steps: done by the test harness itself
            } else if line.hasPrefix("# exit "), let n = Int32(line.dropFirst(7)) {
                steps[steps.count - 1].exitStatus = n
            } else if !steps.isEmpty, !line.isEmpty {
                steps[steps.count - 1].expected.append(line)
            }
        }
        return (daemon, steps)
    }

    /// The text of a line before its first digit or `/` (numbers, times and paths differ between runs),
    /// with runs of spaces collapsed (table columns widen with their values).
    /// A table's rule (a line of `-` only) is as wide as the table's columns, which widen with the numbers
    /// in them (`14.3` or `9.87` J, `9.60` or `10.25` h of delay): its label is a rule of 10 dashes, which
    /// the output's rule contains whatever its width (the guide's rule of 61 is not in one of 58).
    static func label(_ line: String) -> String {
        if line.count >= 10, line.allSatisfy({ $0 == "-" }) { return String(repeating: "-", count: 10) }
        return squeeze(String(line.prefix { !$0.isNumber && $0 != "/" }))
    }

    static func squeeze(_ s: String) -> String {
        s.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
    }

    @Test func theGuideRunsAsWritten() throws {
        let text = try String(contentsOf: repoRoot.appendingPathComponent("docs/getting-started.md"), encoding: .utf8)
        let (daemonArgs, steps) = Self.steps(text)
        try #require(!daemonArgs.isEmpty && steps.count >= 6, "the guide has no verdantd line or too few steps")
        let cwd = temporaryDirectory("getting-started")
        func run(_ words: [String]) throws -> CommandResult {
            let p = Process()
            p.executableURL = binDirectory.appendingPathComponent("verdant")
            p.arguments = words
            var env = ProcessInfo.processInfo.environment
            env.removeValue(forKey: "VERDANT_STATE_DIR")
            env["NO_COLOR"] = "1"
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
        var daemon: DaemonProcess?
        for (i, step) in steps.enumerated() {
            // The daemon starts where the guide starts it.
            if daemon == nil, step.afterDaemon {
                let state = cwd.appendingPathComponent("verdant-state")
                daemon = try DaemonProcess(stateDirectory: state, args: daemonArgs.filter { $0 != "--state-dir" && $0 != "./verdant-state" })
            }
            if let job = step.waitForJob {
                let done = try waitFor(240) { () -> Bool? in
                    let r = try run(["show", String(job), "--json"])
                    let obj = try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
                    return obj?["state"] as? String == "succeeded" && obj?["energy_j"] as? Double != nil ? true : nil
                }
                #expect(done == true, "job \(job) did not succeed within 240 s")
            }
            let r = try run(step.command)
            let shown = "step \(i + 1): verdant \(step.command.joined(separator: " "))"
            #expect(r.status == step.exitStatus, "\(shown) exited \(r.status), the guide shows \(step.exitStatus)\n\(r.stdout)\n\(r.stderr)")
            let output = r.stdout.split(separator: "\n").map { Self.squeeze(String($0)) }.joined(separator: "\n")
                + "\n" + r.stderr
            for line in step.expected {
                let l = Self.label(line)
                guard l.count >= 3 else { continue }
                #expect(output.contains(l), "\(shown): the guide shows '\(line)' but the output has no '\(l)':\n\(output)")
            }
        }
        _ = daemon?.terminate()
    }
}
