import Foundation
import HTTPTypes   // the header name type (swift-http-types, which Hummingbird is built on)
import Hummingbird
import NIOCore
import VerdantAPI

// MARK: Reports rendered by the daemon (issue 8); the wire format is in VerdantAPI/RenderedReportAPI.swift.

extension APIServer {
    /// Answers `GET /v1/report?…&format=F` with the rendered bytes (or, with `progress=1`, the progress
    /// stream then the bytes); `409` before any work when the handler cannot render for the client's zone.
    static func renderedReportResponse(_ req: Request, format: String, handler: any VerdantRenderedReportHandler,
                                       caller callerOf: () async throws -> Caller) async throws -> Response {
        let q = req.uri.queryParameters
        let (since, until, by) = (q.get("since"), q.get("until"), q.get("by"))
        if let refusal = handler.renderedReportRefusal(format: format, timeZone: q.get(APIRoutes.reportTimeZoneQuery)) {
            return try await respond { () -> String in throw APIError.conflict(refusal) }
        }
        let caller: Caller
        do { caller = try await callerOf() } catch { return try await respond { () -> String in throw error } }
        guard wantsProgress(req) else {
            let bytes: [UInt8]
            do {
                bytes = try await handler.renderedReport(since: since, until: until, by: by, format: format, caller: caller, progress: nil)
            } catch {
                return try await respond { () -> String in throw error }
            }
            return Response(status: .ok, headers: [.contentType: contentType(format), renderedHeaderName: format],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        // The stream: progress lines, then `{"result":{"format":F,"bytes":N}}` and the N bytes, or an error line.
        var stream = respondWithProgress({ sink -> RenderedBytes in
            RenderedBytes(bytes: try await handler.renderedReport(since: since, until: until, by: by, format: format,
                                                                  caller: caller, progress: sink))
        }, resultLine: { rendered in
            var header = (try? lineEncoder.encode(ProgressStreamLine(result: RenderedReportHeader(format: format, bytes: rendered.bytes.count))))
                ?? Data("{\"error\":\"encoding the answer failed\",\"status\":500}".utf8)
            header.append(0x0A)
            var buffer = ByteBuffer(bytes: header)
            buffer.writeBytes(rendered.bytes)
            return buffer
        })
        stream.headers[renderedHeaderName] = format
        return stream
    }

    /// The rendered report between the work and the stream's last line.
    struct RenderedBytes: Sendable { var bytes: [UInt8] }

    static let renderedHeaderName = HTTPField.Name(APIRoutes.renderedReportHeader)!

    private static var lineEncoder: JSONEncoder {
        let e = APIJSON.encoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }

    /// `ReportFormat.contentType` (the server does not link the renderers).
    static func contentType(_ format: String) -> String {
        switch format {
        case "csv": "text/csv; charset=utf-8"
        case "json": "application/json"
        case "html": "text/html; charset=utf-8"
        default: "text/plain; charset=utf-8"
        }
    }
}
