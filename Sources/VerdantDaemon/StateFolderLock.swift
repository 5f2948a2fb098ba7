import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on `<state-dir>/verdantd.lock`, holding the daemon's pid: a second
/// `verdantd` on the same state folder refuses to start instead of adopting (and killing) the first
/// one's jobs. The kernel drops the lock when the process dies, so `kill -9` leaves no stale lock.
public final class StateFolderLock: Sendable {
    private let fd: Int32

    /// Takes the lock.
    /// - Throws: `Daemon.StartupError` naming the other daemon's pid when it holds the lock, or the
    ///   errno when the lock file cannot be opened.
    public init(stateDirectory: String) throws {
        let path = stateDirectory + "/verdantd.lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw Daemon.StartupError(description: "cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = read(fd, &buffer, buffer.count)
            let pid = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : "?"
            close(fd)
            throw Daemon.StartupError(description: "another verdantd (pid \(pid)) is using the state folder \(stateDirectory): stop it first, or give another --state-dir")
        }
        let text = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = text.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit { close(fd) }
}
