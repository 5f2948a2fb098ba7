import AsyncHTTPClient
import Foundation
import NIOCore
import VerdantAPI
import VerdantCore

// MARK: Long requests with their progress (issue 12); the wire format is in VerdantAPI/ProgressAPI.swift.

extension DaemonClient {
    /// `importIntensity(_:)`, calling `progress` with each `ProgressEvent` the daemon streams while it
    /// writes (the slots still go in one transaction: a failure writes nothing).
    public func importIntensity(_ r: IntensityImportRequest, progress: @escaping ProgressSink) async throws -> IntensityImportResult {
        try await sendWithProgress("POST", APIRoutes.intensityImport, query: [], body: try APIJSON.encoder().encode(r), progress: progress)
    }

    /// `report(since:until:by:timeline:)`, calling `progress` with each step of building it.
    public func report(since: String?, until: String?, by: String? = nil, timeline: Bool = false,
                       progress: @escaping ProgressSink) async throws -> EnergyReport {
        var items: [URLQueryItem] = []
        if let by { items.append(URLQueryItem(name: "by", value: by)) }
        if timeline { items.append(URLQueryItem(name: "timeline", value: "1")) }
        if let since { items.append(URLQueryItem(name: "since", value: since)) }
        if let until { items.append(URLQueryItem(name: "until", value: until)) }
        return try await sendWithProgress("GET", APIRoutes.report, query: items, body: nil, progress: progress)
    }

    /// `forecast(zone:horizon:)`, calling `progress` with the ridge fits when the daemon trains the zone's
    /// first model for this request.
    public func forecast(zone: String?, horizon: String?, progress: @escaping ProgressSink) async throws -> ForecastView {
        var items: [URLQueryItem] = []
        if let zone { items.append(URLQueryItem(name: "zone", value: zone)) }
        if let horizon { items.append(URLQueryItem(name: "horizon", value: horizon)) }
        return try await sendWithProgress("GET", APIRoutes.forecast, query: items, body: nil, progress: progress)
    }

    /// How long a streamed request may take in all: the progress line shows it is alive, so this only
    /// guards against a daemon that stopped answering (Ctrl-C ends it sooner).
    static let progressTimeoutSeconds: Int64 = 3600

    /// Sends `path?query&progress=1` and reads the NDJSON answer line by line: progress lines go to
    /// `progress`, the result line is decoded as `T`, an error line throws `ClientError` with its
    /// status. A plain (non-stream) error answer throws as `send` does.
    func sendWithProgress<T: Codable & Sendable>(_ method: String, _ path: String, query: [URLQueryItem], body: Data?,
                                                 progress: @escaping ProgressSink) async throws -> T {
        let response = try await execute(method, path: path, query: query + [URLQueryItem(name: APIRoutes.progressQuery, value: "1")], body: body)
        let isStream = response.headers.first(name: "Content-Type")?.hasPrefix(APIRoutes.progressContentType) ?? false
        guard response.status.code < 300, isStream else {
            // An error before the work began (or a daemon without streams): one JSON body, as `send` reads it.
            let data: Data
            do {
                data = Data(try await response.body.collect(upTo: 64 << 20).readableBytesView)
            } catch {
                throw ClientError(message: "cannot reach verdantd at \(socketPath): \(error). Is it running?", status: nil)
            }
            guard response.status.code < 300 else {
                let msg = (try? APIJSON.decoder().decode(APIErrorBody.self, from: data).error) ?? String(decoding: data, as: UTF8.self)
                throw ClientError(message: msg, status: Int(response.status.code))
            }
            do {
                return try APIJSON.decoder().decode(T.self, from: data)
            } catch {
                throw ClientError(message: "unexpected reply from verdantd (\(error)); are verdant and verdantd the same version?", status: Int(response.status.code))
            }
        }
        let decoder = APIJSON.decoder()
        var pending = Data()
        func take(_ line: Data) throws -> T? {
            guard !line.isEmpty else { return nil }
            let l: ProgressStreamLine<T>
            do {
                l = try decoder.decode(ProgressStreamLine<T>.self, from: line)
            } catch {
                throw ClientError(message: "unexpected reply from verdantd (\(error)); are verdant and verdantd the same version?", status: 200)
            }
            if let p = l.progress { progress(p); return nil }
            if let e = l.error { throw ClientError(message: e, status: l.status ?? 500) }
            return l.result
        }
        do {
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let nl = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<nl]
                    pending = Data(pending[pending.index(after: nl)...])
                    if let result = try take(Data(line)) { return result }
                }
            }
            if let result = try take(pending) { return result }
        } catch let e as ClientError {
            throw e
        } catch {
            throw ClientError(message: "the connection to verdantd at \(socketPath) broke before the answer came (\(error)): is it still running? (verdant status)", status: nil)
        }
        throw ClientError(message: "verdantd at \(socketPath) ended its answer without a result: is it still running? (verdant status)", status: nil)
    }
}
