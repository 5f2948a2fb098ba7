import AsyncHTTPClient
import Foundation
import NIOCore
import VerdantAPI
import VerdantCore

// MARK: Reports rendered by the daemon (issue 8); the wire format is in VerdantAPI/RenderedReportAPI.swift.

extension DaemonClient {
    /// The report as `verdant report --format F` writes it, rendered by the daemon.
    /// - Parameters: as `report(since:until:by:timeline:)`; `format`: a `ReportFormat` name; `timeZone`:
    ///   this process's zone identifier (HTML shows local times); `progress`: the steps, when given.
    /// - Returns: the bytes, or `nil` when the daemon cannot render for this zone (`409`,
    ///   `renderedReportZoneMismatch`): ask for the `EnergyReport` then.
    /// - Throws: `ClientError` as `report` does.
    public func renderedReport(since: String?, until: String?, by: String?, format: String, timeZone: String,
                               progress: ProgressSink? = nil) async throws -> [UInt8]? {
        var received: [UInt8] = []
        let rendered = try await renderedReport(since: since, until: until, by: by, format: format, timeZone: timeZone,
                                                progress: progress) { chunk in received.append(contentsOf: chunk) }
        return rendered ? received : nil
    }

    /// `renderedReport(…)` handing the report's bytes to `receive` as they arrive, in order (a year's JSON is
    /// 19–31 MB: written to a file as it comes, not gathered in memory and copied). Every byte `receive`
    /// got is part of a complete report only when this returns `true`; when it throws, the bytes so far
    /// are a report cut short (the caller discards them).
    /// - Returns: `false` when the daemon cannot render for this zone (`409`, `renderedReportZoneMismatch`;
    ///   `receive` got nothing): ask for the `EnergyReport` then.
    /// - Throws: `ClientError` as `report` does; what `receive` throws.
    public func renderedReport(since: String?, until: String?, by: String?, format: String, timeZone: String,
                               progress: ProgressSink? = nil, receive: (UnsafeRawBufferPointer) throws -> Void) async throws -> Bool {
        var items: [URLQueryItem] = []
        if let by { items.append(URLQueryItem(name: "by", value: by)) }
        if let since { items.append(URLQueryItem(name: "since", value: since)) }
        if let until { items.append(URLQueryItem(name: "until", value: until)) }
        items.append(URLQueryItem(name: APIRoutes.reportFormatQuery, value: format))
        items.append(URLQueryItem(name: APIRoutes.reportTimeZoneQuery, value: timeZone))
        if progress != nil { items.append(URLQueryItem(name: APIRoutes.progressQuery, value: "1")) }
        let response = try await execute("GET", path: APIRoutes.report, query: items, body: nil)
        let isStream = response.headers.first(name: "Content-Type")?.hasPrefix(APIRoutes.progressContentType) ?? false
        let isRendered = response.headers.first(name: APIRoutes.renderedReportHeader) == format
        if response.status.code >= 300 || !isRendered {
            let data: Data
            do {
                data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            } catch {
                throw ClientError(message: "cannot reach verdantd at \(socketPath): \(error). Is it running?", status: nil)
            }
            let msg = (try? APIJSON.decoder().decode(APIErrorBody.self, from: data).error) ?? String(decoding: data, as: UTF8.self)
            if response.status.code == 409, msg.hasPrefix(APIRoutes.renderedReportZoneMismatch) { return false }
            guard response.status.code < 300 else { throw ClientError(message: msg, status: Int(response.status.code)) }
            throw ClientError(message: "unexpected reply from verdantd (no rendered report); are verdant and verdantd the same version?", status: Int(response.status.code))
        }
        // What `receive` throws passes through as it is (not as a broken connection).
        struct ReceiveError: Error { let error: any Error }
        func deliver(_ chunk: UnsafeRawBufferPointer) throws {
            do { try receive(chunk) } catch { throw ReceiveError(error: error) }
        }
        do {
            guard isStream, let progress else {
                // HTTP framing (the body's length) tells a complete answer from a broken one.
                for try await chunk in response.body { try chunk.withUnsafeReadableBytes { try deliver($0) } }
                return true
            }
            // Progress lines, then the header line and exactly its byte count of report.
            var header: RenderedReportHeader?
            var pending: [UInt8] = []   // lines not yet complete, before the header
            var start = 0
            var reportBytes = 0
            let decoder = APIJSON.decoder()
            for try await chunk in response.body {
                if header != nil {
                    reportBytes += chunk.readableBytes
                    try chunk.withUnsafeReadableBytes { try deliver($0) }
                    continue
                }
                pending.append(contentsOf: chunk.readableBytesView)
                while header == nil, let nl = pending[start...].firstIndex(of: 0x0A) {
                    let line = Data(pending[start..<nl])
                    start = nl + 1
                    guard !line.isEmpty else { continue }
                    let l: ProgressStreamLine<RenderedReportHeader>
                    do {
                        l = try decoder.decode(ProgressStreamLine<RenderedReportHeader>.self, from: line)
                    } catch {
                        throw ClientError(message: "unexpected reply from verdantd (\(error)); are verdant and verdantd the same version?", status: 200)
                    }
                    if let p = l.progress { progress(p) }
                    if let e = l.error { throw ClientError(message: e, status: l.status ?? 500) }
                    if let h = l.result { header = h }
                }
                if header != nil {
                    // The rest of this chunk is the report's first bytes.
                    if start < pending.count {
                        reportBytes += pending.count - start
                        try pending[start...].withUnsafeBytes { try deliver($0) }
                    }
                    pending = []
                } else if start > 0 {
                    pending.removeFirst(start)
                    start = 0
                }
            }
            guard let header else {
                throw ClientError(message: "verdantd at \(socketPath) ended its answer without a result: is it still running? (verdant status)", status: nil)
            }
            guard reportBytes == header.bytes else {
                throw ClientError(message: "the report from verdantd at \(socketPath) was cut short (\(reportBytes) of \(header.bytes) bytes): is it still running? (verdant status)", status: nil)
            }
            return true
        } catch let e as ClientError {
            throw e
        } catch let e as ReceiveError {
            throw e.error
        } catch {
            throw ClientError(message: "the connection to verdantd at \(socketPath) broke before the answer came (\(error)): is it still running? (verdant status)", status: nil)
        }
    }
}
