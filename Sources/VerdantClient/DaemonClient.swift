import AsyncHTTPClient
import Foundation
import NIOCore
import VerdantAPI
import VerdantCore

/// A request to the daemon failed. The message says what to do.
public struct ClientError: Error, CustomStringConvertible {
    public let message: String
    /// HTTP status from the daemon, or `nil` when it could not be reached.
    public let status: Int?
    public var description: String { message }
}

/// Talks to `verdantd` over its Unix socket with AsyncHTTPClient.
public struct DaemonClient: Sendable {
    /// The socket path, `<state-dir>/verdantd.sock`.
    public let socketPath: String

    public init(stateDirectory: String) {
        socketPath = (stateDirectory as NSString).appendingPathComponent(APIRoutes.socketName)
    }

    public func submit(_ r: SubmitRequest) async throws -> JobView {
        try await send("POST", APIRoutes.jobs, body: try APIJSON.encoder().encode(r))
    }
    public func jobs() async throws -> [JobView] { try await send("GET", APIRoutes.jobs) }
    public func job(id: Int64) async throws -> JobView { try await send("GET", "\(APIRoutes.jobs)/\(id)") }
    public func cancel(id: Int64) async throws -> JobView { try await send("POST", "\(APIRoutes.jobs)/\(id)/cancel") }
    public func logs(id: Int64) async throws -> JobLogView { try await send("GET", "\(APIRoutes.jobs)/\(id)/logs") }
    public func plan() async throws -> [JobView] { try await send("GET", APIRoutes.plan) }
    public func status() async throws -> StatusView { try await send("GET", APIRoutes.status) }

    /// - Parameters: `since`/`until` as the user typed them; the daemon resolves them. `by`: a
    ///   `ReportGrouping` name; `timeline`: ask for the node timeline (the HTML charts).
    public func report(since: String?, until: String?, by: String? = nil, timeline: Bool = false) async throws -> EnergyReport {
        var items: [URLQueryItem] = []
        if let by { items.append(URLQueryItem(name: "by", value: by)) }
        if timeline { items.append(URLQueryItem(name: "timeline", value: "1")) }
        if let since { items.append(URLQueryItem(name: "since", value: since)) }
        if let until { items.append(URLQueryItem(name: "until", value: until)) }
        var comps = URLComponents()
        comps.path = APIRoutes.report
        comps.queryItems = items.isEmpty ? nil : items
        return try await send("GET", comps.string ?? APIRoutes.report)
    }

    /// The HTTP request `method uri` on the daemon's Unix socket, with `body` as JSON when given.
    /// - Throws: `ClientError` (no status) when no socket exists at `socketPath` (the message says how
    ///   to start verdantd) or the socket path makes no URL.
    func request(_ method: String, uri: String, body: Data?) throws -> HTTPClientRequest {
        guard FileManager.default.fileExists(atPath: socketPath) else {
            throw ClientError(message: "verdantd is not running: no socket at \(socketPath). Start it (verdantd --state-dir DIR) or point --state-dir / VERDANT_STATE_DIR at its state folder", status: nil)
        }
        guard let url = URL(httpURLWithSocketPath: socketPath, uri: uri) else {
            throw ClientError(message: "invalid socket path \(socketPath)", status: nil)
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        return request
    }

    /// Sends `method path?query` (the query items in their order) on the daemon's socket and returns the
    /// answer once its head has come (the body still streams), allowing `timeoutSeconds` for the whole
    /// exchange: the prologue of the long requests (`sendWithProgress`, `renderedReport`), whose default is
    /// `progressTimeoutSeconds` (an hour: their progress lines show the daemon is alive).
    /// - Throws: `ClientError` as `request(_:uri:body:)` throws it, and `ClientError` (no status) "cannot reach
    ///   verdantd at SOCKET: … Is it running?" when the connection or the request fails.
    func execute(_ method: String, path: String, query: [URLQueryItem], body: Data?,
                 timeoutSeconds: Int64 = DaemonClient.progressTimeoutSeconds) async throws -> HTTPClientResponse {
        var comps = URLComponents()
        comps.path = path
        comps.queryItems = query
        let request = try request(method, uri: comps.string ?? path, body: body)
        do {
            return try await HTTPClient.shared.execute(request, timeout: .seconds(timeoutSeconds))
        } catch {
            throw ClientError(message: "cannot reach verdantd at \(socketPath): \(error). Is it running?", status: nil)
        }
    }

    func send<T: Decodable>(_ method: String, _ path: String, body: Data? = nil) async throws -> T {
        let request = try request(method, uri: path, body: body)
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            bytes = try await response.body.collect(upTo: 64 << 20)
        } catch {
            throw ClientError(message: "cannot reach verdantd at \(socketPath): \(error). Is it running?", status: nil)
        }
        let data = Data(bytes.readableBytesView)
        guard response.status.code < 300 else {
            let msg = (try? APIJSON.decoder().decode(APIErrorBody.self, from: data).error)
                ?? String(decoding: data, as: UTF8.self)
            throw ClientError(message: msg, status: Int(response.status.code))
        }
        do {
            return try APIJSON.decoder().decode(T.self, from: data)
        } catch {
            throw ClientError(message: "unexpected reply from verdantd (\(error)); are verdant and verdantd the same version?", status: Int(response.status.code))
        }
    }
}
