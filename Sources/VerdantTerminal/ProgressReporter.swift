import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// The one progress reporter of Verdant's long command-line operations (`verdant forecast eval`,
/// `verdant simulate`, `verdant forecast bench`, `verdantd import-intensity`, and the daemon's side of
/// `verdant intensity import` and `verdant report`, which it streams as `ProgressEvent`s): a line on
/// stderr rewritten at most five times a second with the count, rate and time left (`ProgressLine`), only when stderr is a terminal and
/// `--json` is not given, so a pipe, a file or a script's capture never gets a progress byte (issue 12).
/// Lives in its own module (VerdantTerminal, no I/O besides the terminal) so that both executables'
/// commands use it without the CLI reaching into the daemon for it.
///
/// Thread-safe (a lock guards its state), so a database write closure may report from inside.
public final class ProgressReporter: @unchecked Sendable {
    private let label: String
    /// Whether anything is written at all: stderr is a terminal and `--json` was not given.
    public let enabled: Bool
    private let clock: () -> Date
    private let write: (String) -> Void
    private var started: Date
    private var lastPrint = Date.distantPast
    private var finished = false
    private let lock = NSLock()

    /// Most rewrites per second of the line (a terminal need not redraw faster than it is read).
    public static let minimumIntervalSeconds = 0.2

    /// - Parameters:
    ///   - label: what is counted (`origins`, `slots stored`).
    ///   - json: whether `--json` was given (progress is then off).
    ///   - stderrIsTerminal: whether stderr is a terminal (default: `isatty(2)`).
    ///   - clock: the time source (tests inject one).
    ///   - write: where the text goes (default: stderr).
    public init(label: String, json: Bool, stderrIsTerminal: Bool = isatty(2) == 1,
                clock: @escaping () -> Date = Date.init,
                write: @escaping (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.label = label
        enabled = stderrIsTerminal && !json
        self.clock = clock
        self.write = write
        started = clock()
    }

    /// Starts the rate's clock again now: for work whose counted part begins after an uncounted one
    /// (`verdant intensity import`: the daemon parses the file, then reports `0` of the slots and
    /// writes them), so the rate and time left are those of the counted part.
    public func restartClock() {
        lock.lock()
        defer { lock.unlock() }
        started = clock()
    }

    /// Reports `done` of `total`; the first call with done == total ends the line, and later calls write nothing.
    public func update(_ done: Int, of total: Int) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !finished else { return }
        if let text = text(done: done, total: total, now: clock()) {
            finished = done >= total
            write(text)
        }
    }

    /// Ends a line left open because the work stopped before `total` (an error follows, or a training
    /// gave up): writes `\n` when a line was written and not yet ended; otherwise nothing.
    public func finish() {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        guard !finished, lastPrint != .distantPast else { return }
        finished = true
        write("\n")
    }

    /// What an update at `now` writes: `\r` + the `ProgressLine` + padding (+ `\n` when done), or nil
    /// when less than `minimumIntervalSeconds` passed since the last line and the work is not done.
    func text(done: Int, total: Int, now: Date) -> String? {
        guard now.timeIntervalSince(lastPrint) >= Self.minimumIntervalSeconds || done >= total else { return nil }
        lastPrint = now
        let line = ProgressLine.format(label: label, done: done, total: total, elapsedSeconds: now.timeIntervalSince(started))
        return "\r" + line + "   " + (done >= total ? "\n" : "")
    }
}
