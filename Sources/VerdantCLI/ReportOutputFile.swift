import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `verdant report --output FILE` written as the report arrives: into a temporary file beside `FILE`
/// (`FILE.tmp-<pid>`), renamed over `FILE` only once the whole report is in (`commit`), deleted otherwise
/// (`discard`): never half a file, and a year's 19–31 MB of JSON is not gathered in memory first.
final class ReportOutputFile {
    /// Writing failed: the path and the system's reason (`verdant report` exits 73 with it).
    struct WriteError: Error { let path: String; let reason: String }

    let path: String
    let temporaryPath: String
    private var fd: Int32

    /// Creates the folder when needed and opens the temporary file (mode 0666 less the umask, as
    /// `Data.write(to:)` creates files).
    /// - Throws: `WriteError`.
    init(path: String) throws {
        self.path = path
        temporaryPath = path + ".tmp-\(getpid())"
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw WriteError(path: path, reason: error.localizedDescription)
            }
        }
        fd = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
    }

    deinit { if fd >= 0 { close(fd); unlink(temporaryPath) } }

    /// Appends `bytes`.
    /// - Throws: `WriteError`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var at = 0
        while at < bytes.count {
            let n = Glibc.write(fd, bytes.baseAddress! + at, bytes.count - at)
            if n < 0 {
                if errno == EINTR { continue }
                throw WriteError(path: path, reason: String(cString: strerror(errno)))
            }
            at += n
        }
    }

    /// Closes the file and renames it over `path`.
    /// - Throws: `WriteError` (the temporary file is removed).
    func commit() throws {
        let rc = close(fd)
        let closeErrno = errno
        fd = -1
        guard rc == 0 else { unlink(temporaryPath); throw WriteError(path: path, reason: String(cString: strerror(closeErrno))) }
        guard rename(temporaryPath, path) == 0 else {
            let e = errno
            unlink(temporaryPath)
            throw WriteError(path: path, reason: String(cString: strerror(e)))
        }
    }

    /// Closes and removes the temporary file (also done when it is released uncommitted).
    func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(temporaryPath)
    }
}
