import Foundation
import Testing

/// Error messages name the thing (file and line, option, job id) and the next step (issue 12): the
/// exact text of representative ones from the CLI, the CLI's own file reading and the daemon's API.
@Suite(.serialized) struct ErrorMessageTests {
    @Test func simulateNamesTheFileTheLineAndTheFix() throws {
        let dir = temporaryDirectory("errors-simulate")
        let missing = try runTool("verdant", ["simulate", "--trace", "/nonexistent/t.csv", "--jobs", "/nonexistent/j.csv"])
        #expect(missing.status == 65)
        #expect(missing.stderr == "verdant: error: cannot read --trace /nonexistent/t.csv (missing, unreadable or not UTF-8): give a CSV of time,gCO2eq/kWh rows\n")

        let trace = dir.appendingPathComponent("trace.csv"), jobs = dir.appendingPathComponent("jobs.csv")
        try "time,DE\n2020-06-01 00:00:00,170\n2020-06-01 00:15:00,many\n".write(to: trace, atomically: true, encoding: .utf8)
        try "submit,name\n".write(to: jobs, atomically: true, encoding: .utf8)
        let bad = try runTool("verdant", ["simulate", "--trace", trace.path, "--jobs", jobs.path])
        #expect(bad.status == 65)
        #expect(bad.stderr.hasPrefix("verdant: error: \(trace.path):3: ") && bad.stderr.hasSuffix("; fix that line of the trace\n"), "\(bad.stderr)")

        let slot = try runTool("verdant", ["simulate", "--trace", trace.path, "--jobs", jobs.path, "--slot-minutes", "0"])
        #expect(slot.status == 64)
        #expect(slot.stderr.hasPrefix("Error: --slot-minutes must be between 1 and 1440, got 0: use e.g. --slot-minutes 30\n"), "\(slot.stderr)")
    }

    @Test func theDaemonsAnswersNameTheJobOrRangeAndTheNextStep() throws {
        let state = temporaryDirectory("errors-api")
        let daemon = try DaemonProcess(stateDirectory: state, args: ["--replay-speed", "1"])
        let range = try daemon.cli(["intensity", "show", "--since", "2020-06-02T00:00:00Z", "--until", "2020-06-01T00:00:00Z"])
        #expect(range.status == 1)
        #expect(range.stderr == "verdant: error: --until 2020-06-01T00:00:00Z is not after --since 2020-06-02T00:00:00Z: the range is empty; give an --until after --since\n")
        let noJob = try daemon.cli(["show", "999"])
        #expect(noJob.status == 1)
        #expect(noJob.stderr == "verdant: error: no job 999: see 'verdant jobs' for your jobs\n")
        let longName = String(repeating: "n", count: 201)
        let name = try daemon.cli(["submit", "--name", longName, "--", "true"])
        #expect(name.status == 1)
        #expect(name.stderr == "verdant: error: --name must be 1 to 200 characters, got 201: give a shorter --name\n")
        _ = daemon.terminate()
    }
}
