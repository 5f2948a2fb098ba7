import Foundation
import Testing
import VerdantDaemon
import VerdantTerminal

/// The progress line of long operations (issue 12): what it writes on a terminal, and that it writes
/// nothing without a terminal or with `--json`.
@Suite struct ProgressReporterTests {
    /// A reporter on a hand-driven clock that records what it writes.
    final class Recorder: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_000)
        var written: [String] = []
        func reporter(json: Bool, terminal: Bool) -> ProgressReporter {
            ProgressReporter(label: "slots stored", json: json, stderrIsTerminal: terminal,
                             clock: { self.now }, write: { self.written.append($0) })
        }
    }

    @Test func onATerminalItRewritesOneLineAtMostFiveTimesASecond() {
        let r = Recorder()
        let p = r.reporter(json: false, terminal: true)
        #expect(p.enabled)
        r.now += 2            // 500 of 2880 after 2 s: 250/s, 2380 left → 9.52 s → 10s
        p.update(500, of: 2880)
        r.now += 0.1          // within 0.2 s of the last line: nothing
        p.update(600, of: 2880)
        r.now += 0.15         // 0.25 s after the last line: 1000 in 2.25 s = 444.4/s → 444; 1880 left → 4.23 s → 4s
        p.update(1000, of: 2880)
        r.now += 0.01         // done: always written, and the line ends (2880 in 2.26 s = 1274.3/s → 1274)
        p.update(2880, of: 2880)
        r.now += 1            // after the end: nothing more
        p.update(2880, of: 2880)
        #expect(r.written == ["\rslots stored 500/2880  250/s  ETA 10s   ",
                              "\rslots stored 1000/2880  444/s  ETA 4s   ",
                              "\rslots stored 2880/2880  1274/s  ETA 0s   \n"])
    }

    @Test func restartClockTimesOnlyTheCountedPart() {
        let r = Recorder()
        let p = r.reporter(json: false, terminal: true)
        r.now += 5            // an uncounted part (the daemon parsing an import) …
        p.restartClock()      // … then the counted part begins: 0 done, no rate yet
        p.update(0, of: 100)
        r.now += 2            // 50 in the 2 s since the restart: 25.0/s (not 50/7 s = 7.14/s), 50 left → 2 s
        p.update(50, of: 100)
        #expect(r.written == ["\rslots stored 0/100  -/s  ETA -   ",
                              "\rslots stored 50/100  25.0/s  ETA 2s   "])
    }

    @Test func finishEndsALineLeftOpenOnly() {
        let r = Recorder()
        let p = r.reporter(json: false, terminal: true)
        p.finish()            // nothing written yet: nothing to end
        r.now += 2
        p.update(500, of: 2880)
        p.finish()            // the work stopped at 500: the line ends
        p.finish()            // once
        r.now += 1
        p.update(1000, of: 2880)   // after finish: nothing
        #expect(r.written == ["\rslots stored 500/2880  250/s  ETA 10s   ", "\n"])
        let done = Recorder()
        let q = done.reporter(json: false, terminal: true)
        done.now += 1
        q.update(10, of: 10)
        q.finish()            // already ended by done == total
        #expect(done.written == ["\rslots stored 10/10  10.0/s  ETA 0s   \n"])
    }

    @Test func notATerminalOrJSONWritesNothing() {
        for (json, terminal) in [(false, false), (true, true), (true, false)] {
            let r = Recorder()
            let p = r.reporter(json: json, terminal: terminal)
            #expect(!p.enabled)
            for k in 1...10 { r.now += 1; p.update(k * 288, of: 2880) }
            #expect(r.written.isEmpty, "json \(json), terminal \(terminal): \(r.written)")
        }
    }
}
