import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import VerdantAPI
#if canImport(Glibc)
import Glibc
#endif

/// Request context that keeps the connection's channel, to read the caller's `SO_PEERCRED`.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The accepted Unix-socket connection.
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The peer's credentials as the kernel recorded them at `connect(2)` (unix(7), SO_PEERCRED).
    /// - Throws: `APIError` (500) when the option cannot be read (not a Unix socket).
    func caller() async throws -> Caller {
        guard let provider = channel as? any SocketOptionProvider else {
            throw APIError(status: 500, "the API connection is not a Unix socket: peer credentials unavailable")
        }
        let cred: PeerCredentials = try await provider.unsafeGetSocketOption(
            level: .socket, name: NIOBSDSocket.Option(rawValue: SO_PEERCRED)).get()
        return Caller(uid: cred.uid, gid: cred.gid, pid: cred.pid)
    }
}

/// `struct ucred` of unix(7) (`pid_t pid; uid_t uid; gid_t gid;`), which Glibc's Swift module does
/// not export without `_GNU_SOURCE`.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// The HTTP/1.1 API on a Unix socket (Hummingbird), routing to a `VerdantAPIHandler`.
public enum APIServer {
    /// Builds the API server. It is a `Service`: run it in the daemon's `ServiceGroup`.
    /// - Parameters:
    ///   - socketPath: the socket file; a stale one left by a killed daemon is removed first. Unused
    ///     when `inheritedSocket` is given.
    ///   - inheritedSocket: a listening Unix stream socket passed by systemd socket activation
    ///     (`verdantd.socket`); served as it is (its path and `SocketMode=` stay systemd's), else `nil`
    ///     and the server creates `socketPath` itself with mode 0666.
    ///   - handler: the daemon.
    ///   - onRunning: called once the socket accepts connections.
    public static func application(socketPath: String, inheritedSocket: Int32? = nil, handler: any VerdantAPIHandler, logger: Logger,
                                   onRunning: @escaping @Sendable () async -> Void) -> any Service {
        let router = makeRouter(handler: handler)
        // Any local user may connect to a socket the daemon creates (mode 0666); what each may see and
        // do is decided by SO_PEERCRED. Not Hummingbird's `Application`: see `InheritedSocketServer`.
        let listener: InheritedSocketServer<RouterResponder<PeerRequestContext>>.Listener =
            inheritedSocket.map { .inherited(fileDescriptor: $0) } ?? .path(socketPath, mode: 0o666)
        return InheritedSocketServer(responder: router.buildResponder(), listener: listener, serverName: "verdantd",
                                     logger: logger, onRunning: onRunning)
    }

    /// The API's routes.
    static func makeRouter(handler: any VerdantAPIHandler) -> Router<PeerRequestContext> {
        let router = Router(context: PeerRequestContext.self)
        let jobs = router.group(RouterPath(APIRoutes.jobs))
        jobs.post { req, ctx in
            try await respond {
                let body = try await req.body.collect(upTo: 4 << 20)
                let submit: SubmitRequest
                do {
                    submit = try APIJSON.decoder().decode(SubmitRequest.self, from: Data(body.readableBytesView))
                } catch {
                    throw APIError.badRequest("malformed submission (\(error)): are verdant and verdantd the same version? (verdant --version, verdant status)")
                }
                return try await handler.submit(submit, caller: try await ctx.caller())
            }
        }
        jobs.get { _, ctx in try await respond { try await handler.jobs(caller: try await ctx.caller()) } }
        jobs.get(":id") { _, ctx in
            try await respond { try await handler.job(id: try jobID(ctx), caller: try await ctx.caller()) }
        }
        jobs.get(":id/logs") { _, ctx in
            try await respond { try await handler.logs(id: try jobID(ctx), caller: try await ctx.caller()) }
        }
        jobs.post(":id/cancel") { _, ctx in
            try await respond { try await handler.cancel(id: try jobID(ctx), caller: try await ctx.caller()) }
        }
        router.get(RouterPath(APIRoutes.plan)) { _, ctx in
            try await respond { try await handler.plan(caller: try await ctx.caller()) }
        }
        router.get(RouterPath(APIRoutes.status)) { _, _ in try await respond { try await handler.status() } }
        router.get(RouterPath(APIRoutes.report)) { req, ctx in
            // Issue 8: `format=F` answers the rendered report (RenderedReportResponse.swift).
            if let format = req.uri.queryParameters.get(APIRoutes.reportFormatQuery), let r = handler as? any VerdantRenderedReportHandler {
                return try await renderedReportResponse(req, format: String(format), handler: r, caller: { try await ctx.caller() })
            }
            // Issue 12: `progress=1` streams the steps of building the report (ProgressResponse.swift).
            if wantsProgress(req), let p = handler as? any VerdantProgressAPIHandler {
                let q = req.uri.queryParameters
                let caller: Caller
                do { caller = try await ctx.caller() } catch { return try await respond { () -> String in throw error } }
                let (since, until, by, timeline) = (q.get("since"), q.get("until"), q.get("by"), q.get("timeline") == "1")
                return respondWithProgress { sink in
                    try await p.report(since: since, until: until, by: by, timeline: timeline, caller: caller, progress: sink)
                }
            }
            return try await respond {
                try await handler.report(since: req.uri.queryParameters.get("since"),
                                         until: req.uri.queryParameters.get("until"),
                                         by: req.uri.queryParameters.get("by"),
                                         timeline: req.uri.queryParameters.get("timeline") == "1",
                                         caller: try await ctx.caller())
            }
        }
        registerIntensityRoutes(router, handler: handler)
        return router
    }

    private static func jobID(_ ctx: PeerRequestContext) throws -> Int64 {
        guard let s = ctx.parameters.get("id"), let id = Int64(s) else {
            throw APIError.badRequest("job id '\(ctx.parameters.get("id") ?? "")' is not a whole number: give the ID that 'verdant jobs' lists")
        }
        return id
    }

    static func respond<T: Encodable>(_ body: () async throws -> T) async throws -> Response {
        do {
            return json(try await body(), status: .ok)
        } catch let e as APIError {
            return json(APIErrorBody(error: e.message), status: HTTPResponse.Status(code: e.status))
        } catch {
            // Internal errors (database, I/O) can carry row contents, such as another user's job
            // environment: they go to the daemon's log, never to the client.
            let ref = UInt32.random(in: 0...UInt32.max)
            errorLog.error("request failed", metadata: ["error": "\(error)", "ref": "\(String(ref, radix: 16))"])
            return json(APIErrorBody(error: "verdantd could not complete the request (internal error \(String(ref, radix: 16)), details in the daemon's log)"),
                        status: .internalServerError)
        }
    }

    private static let errorLog = Logger(label: "verdantd.api")

    private static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status) -> Response {
        let data = (try? APIJSON.encoder().encode(value)) ?? Data("{\"error\":\"encoding failed\"}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
