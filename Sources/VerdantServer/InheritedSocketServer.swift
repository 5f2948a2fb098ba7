import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Serves a Hummingbird responder over HTTP/1.1 on a Unix socket: one that is already bound and
/// listening, such as the one systemd passes with socket activation (`verdantd.socket`), or one it
/// binds itself at a path. Hummingbird's `Application` only binds sockets itself, so this does what
/// its `Server` does with NIO's `ServerBootstrap.bind(_ socket:)` (withBoundSocket) or
/// `bind(unixDomainSocketPath:)`: each accepted connection is a NIO `SocketChannel`, so
/// `PeerRequestContext.caller()` reads `SO_PEERCRED` exactly as before.
///
/// It is also used for the daemon's own socket (not only an inherited one) because Hummingbird's
/// `Application` runs a `DateCache` service that wakes once a second to format the `Date:` header:
/// about 10 % of an idle-sampling daemon's CPU at 1 Hz (perf, docs/performance.md, issue 3). Responses
/// here carry no `Date:` header (RFC 9110 §6.6.1 lets an origin without a reliable clock omit it;
/// the CLI never reads it).
struct InheritedSocketServer<Responder: HTTPResponder>: Service where Responder.Context == PeerRequestContext {
    /// Where the server listens.
    enum Listener: Sendable {
        /// A listening descriptor (socket activation); NIO owns (and closes) it from `run()` on.
        case inherited(fileDescriptor: Int32)
        /// A Unix socket bound at `path` by the server (a stale socket file there is removed first),
        /// then given `mode` (chmod(2)) before `onRunning` is called.
        case path(String, mode: mode_t)
    }

    let responder: Responder
    let listener: Listener
    let serverName: String
    let logger: Logger
    let onRunning: @Sendable () async -> Void
    /// How long open connections may take to finish after graceful shutdown began before they are
    /// cancelled (Hummingbird's own server closes idle connections at once, busy ones when done).
    var drainSeconds: Int = 2

    func run() async throws {
        let responder = self.responder, logger = self.logger, serverName = self.serverName
        let http = HTTP1Channel(responder: { (request: Request, writer: consuming ResponseWriter, channel: any Channel) in
            let context = PeerRequestContext(source: .init(channel: channel, logger: logger))
            var response: Response
            do {
                response = try await responder.respond(to: request, context: context)
            } catch let error as HTTPParserError {
                throw error
            } catch {
                // As Hummingbird's Application: the router already turned HTTP errors into responses.
                logger.debug("unrecognised error", metadata: ["error": "\(error)"])
                response = Response(status: .internalServerError)
            }
            response.headers[.server] = serverName
            try await writer.write(response: response.head, body: response.body)
        })
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
        let server: NIOAsyncChannel<HTTP1Channel.Value, Never>
        switch listener {
        case .inherited(let fd):
            server = try await bootstrap.bind(fd, serverBackPressureStrategy: nil) { child in
                http.setup(channel: child, logger: logger)
            }
            logger.info("API served on the socket from socket activation", metadata: ["fd": "\(fd)"])
        case .path(let path, let mode):
            server = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true,
                                              serverBackPressureStrategy: nil) { child in
                http.setup(channel: child, logger: logger)
            }
            chmod(path, mode)
            logger.info("API served", metadata: ["socket": "\(path)"])
        }
        let open = ConnectionCount()
        await withGracefulShutdownHandler {
            await onRunning()
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            open.add(1)
                            group.addTask {
                                await http.handle(value: connection, logger: logger)
                                open.add(-1)
                            }
                        }
                    }
                } catch {
                    // Closing the listener for shutdown ends the loop; anything else is worth a line.
                    if !(error is ChannelError) { logger.error("API socket: \(error)") }
                }
                // Listener closed: let requests in flight finish, then cancel idle connections.
                for _ in 0..<(drainSeconds * 20) where open.value > 0 {
                    try? await Task.sleep(for: .milliseconds(50))
                }
                group.cancelAll()
            }
        } onGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }
}

/// Open connections of an `InheritedSocketServer`.
final class ConnectionCount: Sendable {
    private let count = Mutex(0)
    func add(_ n: Int) { count.withLock { $0 += n } }
    var value: Int { count.withLock { $0 } }
}
