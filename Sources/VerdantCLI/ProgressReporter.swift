import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The one progress reporter of `verdant`'s long operations (forecast eval, simulate, intensity import,
/// reports over long periods, training): a line on stderr rewritten at most five times a second with
/// rate and time left (`ProgressLine`), only when stderr is a terminal and `--json` is not given.
final class ProgressReporter {
    private let label: String
    private let enabled: Bool
    private let started = Date()
    private var lastPrint = Date.distantPast

    /// - Parameter json: whether `--json` was given (progress is then off).
    init(label: String, json: Bool, stderrIsTerminal: Bool = isatty(2) == 1) {
        self.label = label
        enabled = stderrIsTerminal && !json
    }

    /// Reports `done` of `total`; the last call (done == total) ends the line.
    func update(_ done: Int, of total: Int) {
        guard enabled else { return }
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= 0.2 || done >= total else { return }
        lastPrint = now
        let line = ProgressLine.format(label: label, done: done, total: total, elapsedSeconds: now.timeIntervalSince(started))
        FileHandle.standardError.write(Data(("\r" + line + "   " + (done >= total ? "\n" : "")).utf8))
    }
}
