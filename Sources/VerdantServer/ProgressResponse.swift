import Foundation
import Hummingbird
import Logging
import NIOCore
import VerdantAPI

// MARK: Progress streams of long requests (issue 12); the wire format is in VerdantAPI/ProgressAPI.swift.

extension APIServer {
    /// Whether the request asked for a progress stream (`progress=1`).
    static func wantsProgress(_ req: Request) -> Bool {
        req.uri.queryParameters.get(APIRoutes.progressQuery) == "1"
    }

    /// Answers `200 application/x-ndjson` at once and runs `work`: each `ProgressEvent` it reports is
    /// one line, then its result (or its error, mapped as `respond` maps errors) is the last line.
    /// Events the connection cannot take as fast as they come are dropped but the newest 64 (a
    /// progress line only needs the latest); the result is never dropped.
    static func respondWithProgress<T: Codable & Sendable>(
        _ work: @escaping @Sendable (@escaping ProgressSink) async throws -> T
    ) -> Response {
        respondWithProgress(work, resultLine: { line(ProgressStreamLine<T>(result: $0)) })
    }

    /// `respondWithProgress(_:)` whose last line on success is `resultLine(result)` (the rendered report's
    /// header line and its bytes); progress and error lines are the same.
    static func respondWithProgress<T: Sendable>(
        _ work: @escaping @Sendable (@escaping ProgressSink) async throws -> T,
        resultLine: @escaping @Sendable (T) -> ByteBuffer
    ) -> Response {
        let body = ResponseBody { writer in
            let (events, sink) = AsyncStream<ProgressEvent>.makeStream(bufferingPolicy: .bufferingNewest(64))
            let task = Task { () -> Result<T, StreamError> in
                defer { sink.finish() }
                do {
                    return .success(try await work { sink.yield($0) })
                } catch let e as APIError {
                    return .failure(StreamError(message: e.message, status: e.status))
                } catch {
                    // As in `respond`: internal errors go to the daemon's log only.
                    let ref = UInt32.random(in: 0...UInt32.max)
                    progressLog.error("request failed", metadata: ["error": "\(error)", "ref": "\(String(ref, radix: 16))"])
                    return .failure(StreamError(message: "verdantd could not complete the request (internal error \(String(ref, radix: 16)), details in the daemon's log)",
                                                status: 500))
                }
            }
            for await event in events {
                try await writer.write(line(ProgressStreamLine<String>(progress: event)))
            }
            switch await task.value {
            case .success(let result): try await writer.write(resultLine(result))
            case .failure(let e): try await writer.write(line(ProgressStreamLine<String>(error: e.message, status: e.status)))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: APIRoutes.progressContentType], body: body)
    }

    /// An error line's message and status.
    struct StreamError: Error, Sendable {
        var message: String
        var status: Int
    }

    /// One NDJSON line: compact JSON (no newline inside) and `\n`.
    private static func line<T: Codable & Sendable>(_ value: ProgressStreamLine<T>) -> ByteBuffer {
        let e = APIJSON.encoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? e.encode(value)) ?? Data("{\"error\":\"encoding the answer failed\",\"status\":500}".utf8)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    private static let progressLog = Logger(label: "verdantd.api")
}
