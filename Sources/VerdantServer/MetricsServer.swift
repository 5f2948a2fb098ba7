import Foundation
import Hummingbird
import Logging
import NIOCore

/// `GET /metrics` over HTTP/1.1 on a TCP address (Hummingbird), in the Prometheus text format 0.0.4.
/// Any other path is 404. Meant for loopback: the figures are not secret but the daemon has no auth.
public enum MetricsServer {
    /// Builds the application (a `Service`).
    /// - Parameters:
    ///   - host, port: where to listen (`127.0.0.1`, `9464`); port 0 picks a free one.
    ///   - render: the exposition text; `nil` answers 503.
    ///   - onRunning: called with the bound port once listening.
    public static func application(host: String, port: Int, logger: Logger,
                                   render: @escaping @Sendable () async -> String?,
                                   onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in
            guard let text = await render() else {
                return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "metrics are off\n")))
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        return Application(router: router,
                           configuration: .init(address: .hostname(host, port: port), serverName: "verdantd-metrics"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    /// Parses `HOST:PORT` (`127.0.0.1:9464`, `[::1]:9464`, `localhost:9464`).
    /// - Returns: `nil` when it is not of that shape or the port is outside 0…65535.
    public static func parseAddress(_ s: String) -> (host: String, port: Int)? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        var host = String(s[..<colon])
        guard let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port), !host.isEmpty else { return nil }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host, port)
    }
}
