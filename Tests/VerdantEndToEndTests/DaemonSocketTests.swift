import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The API socket verdantd creates itself (no socket activation): served by `InheritedSocketServer`
/// binding the path, not Hummingbird's `Application`, whose once-a-second `Date:` header cache was a
/// tenth of the sampling daemon's CPU (issue 3, docs/performance.md).
@Suite(.serialized) struct DaemonSocketTests {
    /// One HTTP/1.1 request over the Unix socket at `path`; the whole response (the server closes).
    func rawRequest(_ path: String, _ request: String) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { p in
            for (i, b) in path.utf8.enumerated() { p[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) } }
        guard rc == 0 else { throw HarnessError("connect \(path): errno \(errno)") }
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw HarnessError("write: errno \(errno)") }
        var out = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return String(decoding: out, as: UTF8.self)
    }

    @Test func ownSocketIsWorldConnectableAndAnswersWithoutADateHeader() throws {
        let root = temporaryDirectory("own-socket")
        let state = root.appendingPathComponent("s")
        let daemon = try DaemonProcess(stateDirectory: state, args: ["--sample-interval", "1s"])
        defer { _ = daemon.terminate() }
        let socketPath = state.appendingPathComponent("verdantd.sock").path
        var st = stat()
        #expect(stat(socketPath, &st) == 0)
        #expect(st.st_mode & S_IFMT == S_IFSOCK)
        #expect(st.st_mode & 0o777 == 0o666)   // any local user may connect; SO_PEERCRED decides the rest
        let response = try rawRequest(socketPath, "GET /v1/status HTTP/1.1\r\nHost: verdantd\r\nConnection: close\r\n\r\n")
        let head = response.components(separatedBy: "\r\n\r\n").first ?? ""
        let lines = head.components(separatedBy: "\r\n")
        #expect(lines.first == "HTTP/1.1 200 OK", "\(head)")
        #expect(lines.contains { $0.lowercased() == "server: verdantd" }, "\(head)")
        #expect(!lines.contains { $0.lowercased().hasPrefix("date:") }, "\(head)")
        #expect(response.contains("\"version\""), "\(response.prefix(400))")
    }

    @Test func aStaleSocketLeftByAKilledDaemonIsReplaced() throws {
        let root = temporaryDirectory("stale-socket")
        let state = root.appendingPathComponent("s")
        let socketPath = state.appendingPathComponent("verdantd.sock").path
        do {
            let first = try DaemonProcess(stateDirectory: state, args: ["--sample-interval", "1s"])
            kill(first.process.processIdentifier, SIGKILL)   // no clean-up: the socket file stays
            first.process.waitUntilExit()
        }
        var st = stat()
        #expect(stat(socketPath, &st) == 0 && st.st_mode & S_IFMT == S_IFSOCK, "the killed daemon's socket file should remain")
        let second = try DaemonProcess(stateDirectory: state, args: ["--sample-interval", "1s"])
        defer { _ = second.terminate() }
        let status = try second.json(["status"]) as? [String: Any]
        #expect(status?["version"] != nil, "\(String(describing: status))")
        #expect(stat(socketPath, &st) == 0 && st.st_mode & 0o777 == 0o666)
    }
}
