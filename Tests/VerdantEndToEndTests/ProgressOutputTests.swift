import Foundation
import Testing

/// Long operations show progress on a terminal and stay quiet otherwise (issue 12), checked on the
/// real `verdantd import-intensity` under a pseudo-terminal (util-linux `script`) and through pipes.
@Suite(.serialized) struct ProgressOutputTests {
    func importArgs(_ state: URL) -> [String] {
        ["import-intensity", "--state-dir", state.path, "--batch-rows", "500", bundledTrace.path]
    }

    @Test func importIntensityShowsProgressOnATerminalOnly() throws {
        // Through pipes: the result line on stdout, not one progress byte on stderr.
        let piped = temporaryDirectory("progress-pipe")
        let p = try runTool("verdantd", importArgs(piped))
        #expect(p.status == 0, "\(p.stderr)")
        #expect(p.stdout.contains("stored 2880 slot(s) of zone DE"), "\(p.stdout)")
        #expect(p.stdout.contains("in 6 transaction(s)"), "\(p.stdout)")
        #expect(p.stderr.isEmpty, "progress written to a pipe: \(p.stderr.debugDescription)")
        #expect(!p.stdout.contains("\r"))

        // On a pseudo-terminal (stdout and stderr both the terminal): the first line after 256 rows (nothing
        // was printed before), the last at 2880, once.
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux script is needed for a pseudo-terminal")
        let tty = temporaryDirectory("progress-tty")
        let command = ([binDirectory.appendingPathComponent("verdantd").path] + importArgs(tty)).joined(separator: " ")
        let t = try runProgram(script, ["-qec", command, "/dev/null"])
        #expect(t.status == 0, "\(t.stdout)")
        #expect(t.stdout.contains("\rslots written 256/2880  "), "no first progress line: \(t.stdout.debugDescription)")
        #expect(t.stdout.components(separatedBy: "\rslots written 2880/2880  ").count == 2, "\(t.stdout.debugDescription)")
        #expect(t.stdout.contains("ETA 0s"))
        #expect(t.stdout.contains("stored 2880 slot(s) of zone DE"))
    }
}
