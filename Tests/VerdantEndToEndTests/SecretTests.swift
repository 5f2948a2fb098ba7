import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A one-thread HTTP/1.1 server on 127.0.0.1 that answers every request with `status` and `body`
/// (Connection: close) and keeps each request's head, to check what the daemon sent.
final class CannedHTTPServer: @unchecked Sendable {
    let port: UInt16
    private let fd: Int32
    private final class Heads: @unchecked Sendable {
        let lock = NSLock()
        var list: [String] = []
    }
    private let heads = Heads()
    var requests: [String] { heads.lock.withLock { heads.list } }

    init(status: Int, body: String) throws {
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        fd = sock
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) == 0 && listen(sock, 16) == 0 && getsockname(sock, $0, &len) == 0 }
        }
        guard ok else { throw HarnessError("cannot listen on 127.0.0.1: errno \(errno)") }
        port = UInt16(bigEndian: addr.sin_port)
        let response = "HTTP/1.1 \(status) X\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
        let listener = sock
        let heads = heads
        Thread.detachNewThread {
            while true {
                let c = accept(listener, nil, nil)
                if c < 0 { return }
                var head = [UInt8]()
                var buf = [UInt8](repeating: 0, count: 4096)
                while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    let n = read(c, &buf, buf.count)
                    if n <= 0 { break }
                    head += buf[0..<n]
                }
                heads.lock.withLock { heads.list.append(String(decoding: head, as: UTF8.self)) }
                _ = response.withCString { write(c, $0, strlen($0)) }
                close(c)
            }
        }
    }

    deinit { shutdown(fd, Int32(SHUT_RDWR)); close(fd) }
}

/// Issue 10: a provider token never appears in logs, status, reports or error messages, even when
/// the provider echoes it back in a malformed answer.
@Suite(.serialized) struct SecretTests {
    @Test func aPlantedProviderTokenAppearsNowhere() throws {
        let token = "vdt-planted-\(UUID().uuidString)"
        let dir = temporaryDirectory("secret")
        // The provider answers 200 with a body that quotes the token in every field (an error page
        // echoing the request), which the parser must reject without quoting it.
        let server = try CannedHTTPServer(status: 200, body: #"{"zone":"\#(token)","history":[{"datetime":"\#(token)","carbonIntensity":"\#(token)"}],"forecast":"\#(token)"}"#)
        let tokenFile = dir.appendingPathComponent("em-token")
        try (token + "\n").write(to: tokenFile, atomically: true, encoding: .utf8)
        let config = dir.appendingPathComponent("verdantd.yaml")
        try """
            intensity-zone: DE
            intensity-providers: electricitymaps
            electricitymaps-url: http://127.0.0.1:\(server.port)
            electricitymaps-token-file: \(tokenFile.path)
            intensity-refresh: 0.3s
            intensity-backoff-base: 0.1s
            intensity-backoff-cap: 0.3s
            powercap-root: /nonexistent/powercap
            sample-interval: 0.2s
            log-level: trace
            """.write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: ["--config", config.path])
        // Wait until the provider was asked and failed a few times.
        #expect(try waitFor(20) { server.requests.count >= 4 ? true : nil } == true, "\(daemon.daemonLog())")
        #expect(server.requests.contains { $0.lowercased().contains("auth-token: \(token.lowercased())") }, "the token was not sent: \(server.requests.first ?? "")")
        let submit = try daemon.cli(["submit", "--deadline", "1h", "--expected-duration", "1m", "--", "true"])
        #expect(submit.status == 0, "\(submit.stderr)")
        var outputs: [(String, String)] = [("daemon log", daemon.daemonLog())]
        for args in [["status", "--json"], ["status"], ["intensity", "sources", "--json"], ["intensity", "sources"],
                     ["jobs", "--json"], ["plan", "--json"], ["report", "--format", "json"], ["report"],
                     ["show", "999"], ["intensity", "--zone", "DE", "--json"]] {
            let r = try daemon.cli(args)
            outputs.append(("verdant \(args.joined(separator: " "))", r.stdout + r.stderr))
        }
        let sources = try daemon.cli(["intensity", "sources", "--json"]).stdout
        #expect(sources.contains("electricitymaps"), "\(sources)")
        #expect(daemon.terminate() == 0)
        outputs.append(("daemon log after stop", daemon.daemonLog()))
        for (what, text) in outputs {
            #expect(!text.contains(token), "\(what) shows the token:\n\(text.prefix(2000))")
            #expect(!text.contains(String(token.suffix(20))), "\(what) shows part of the token")
        }
        // The token was really in play: the daemon logged provider errors while it ran.
        #expect(daemon.daemonLog().contains("electricitymaps"), "\(daemon.daemonLog().suffix(2000))")
    }
}
