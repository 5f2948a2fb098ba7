import AsyncHTTPClient
import Foundation
import NIOCore
import VerdantCarbon
import VerdantCore

/// GETs a URL with AsyncHTTPClient and returns the body of a 2xx answer.
/// - Throws: `IntensityProviderError` with the status for a non-2xx answer, or without one when the
///   host cannot be reached or the body is over 16 MiB. Headers (tokens) are never part of the error.
func httpGet(_ url: String, headers: [(String, String)], provider: String, timeoutSeconds: Double,
             client: HTTPClient) async throws -> Data {
    var request = HTTPClientRequest(url: url)
    request.method = .GET
    for (k, v) in headers { request.headers.add(name: k, value: v) }
    request.headers.add(name: "Accept", value: "application/json")
    let response: HTTPClientResponse
    let body: ByteBuffer
    do {
        response = try await client.execute(request, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        body = try await response.body.collect(upTo: 16 << 20)
    } catch {
        throw IntensityProviderError(provider: provider, message: "request failed (\(type(of: error)): \(error)); check the provider's base URL and the network")
    }
    guard (200..<300).contains(Int(response.status.code)) else {
        throw IntensityProviderError(provider: provider, status: Int(response.status.code),
                                     message: response.status.code == 401 || response.status.code == 403
                                        ? "credentials refused: check the token or password" : "the provider answered with an error")
    }
    return Data(body.readableBytesView)
}

private func encodeQuery(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? s
}

private func trimSlash(_ s: String) -> String { s.hasSuffix("/") ? String(s.dropLast()) : s }

/// Electricity Maps API v3: `history` (past 24 h) and `forecast` for a zone, header `auth-token`.
/// Base URL default `https://api.electricitymap.org` (Electricity Maps API reference, v3).
public struct ElectricityMapsProvider: IntensityProvider {
    /// `electricitymaps`.
    public let name = ElectricityMapsFormat.source
    /// Average intensity.
    public let kind = IntensitySignalKind.average
    let baseURL: String
    let token: String
    let timeoutSeconds: Double
    let client: HTTPClient

    /// - Parameters:
    ///   - baseURL: e.g. `https://api.electricitymap.org`.
    ///   - token: the API token, sent as `auth-token`; never logged.
    ///   - timeoutSeconds: per request.
    public init(baseURL: String, token: String, timeoutSeconds: Double = 30, client: HTTPClient = .shared) {
        self.baseURL = trimSlash(baseURL)
        self.token = token
        self.timeoutSeconds = timeoutSeconds
        self.client = client
    }

    /// Fetches history and forecast. A failing history is tolerated when the forecast arrives (and
    /// the other way round); both failing throws the forecast's error.
    public func fetch(zone: String, now: Date) async throws -> [IntensitySlot] {
        let h = [("auth-token", token)]
        let z = encodeQuery(zone)
        var out: [IntensitySlot] = []
        var firstError: (any Error)?
        for path in ["history", "forecast"] {
            do {
                let data = try await httpGet("\(baseURL)/v3/carbon-intensity/\(path)?zone=\(z)", headers: h, provider: name,
                                             timeoutSeconds: timeoutSeconds, client: client)
                out += try ElectricityMapsFormat.slots(data, zone: zone, fetchedAt: now)
            } catch {
                firstError = firstError ?? error
            }
        }
        if out.isEmpty, let firstError { throw firstError }
        return out
    }
}

/// WattTime API v3: `/login` (HTTP basic) for a bearer token, then `/v3/historical` (past 24 h) and
/// `/v3/forecast` with `signal_type=co2_moer`. A 401 on a data request logs in again once and retries.
/// Base URL default `https://api.watttime.org` (WattTime API v3 documentation).
public actor WattTimeProvider: IntensityProvider {
    /// `watttime`.
    public nonisolated let name = WattTimeFormat.source
    /// Marginal (MOER).
    public nonisolated let kind = IntensitySignalKind.marginal
    let baseURL: String
    let username: String
    let password: String
    let timeoutSeconds: Double
    let client: HTTPClient
    private var token: String?
    /// Logins performed (for tests and status).
    public private(set) var logins = 0

    /// - Parameters: `username`/`password` for `/login`; never logged.
    public init(baseURL: String, username: String, password: String, timeoutSeconds: Double = 30, client: HTTPClient = .shared) {
        self.baseURL = trimSlash(baseURL)
        self.username = username
        self.password = password
        self.timeoutSeconds = timeoutSeconds
        self.client = client
    }

    private func login() async throws -> String {
        let basic = Data("\(username):\(password)".utf8).base64EncodedString()
        let data = try await httpGet("\(baseURL)/login", headers: [("Authorization", "Basic \(basic)")], provider: name,
                                     timeoutSeconds: timeoutSeconds, client: client)
        let t = try WattTimeFormat.token(data)
        token = t
        logins += 1
        return t
    }

    private func authorizedGet(_ url: String) async throws -> Data {
        let t: String
        if let token { t = token } else { t = try await login() }
        do {
            return try await httpGet(url, headers: [("Authorization", "Bearer \(t)")], provider: name,
                                     timeoutSeconds: timeoutSeconds, client: client)
        } catch let e as IntensityProviderError where e.status == 401 {
            // The token expired (WattTime tokens last 30 minutes): log in again once.
            let fresh = try await login()
            return try await httpGet(url, headers: [("Authorization", "Bearer \(fresh)")], provider: name,
                                     timeoutSeconds: timeoutSeconds, client: client)
        }
    }

    /// Fetches the past 24 h and the forecast; both failing throws.
    public func fetch(zone: String, now: Date) async throws -> [IntensitySlot] {
        let r = encodeQuery(zone)
        let start = encodeQuery(ISO8601.string(now.addingTimeInterval(-86400)))
        let end = encodeQuery(ISO8601.string(now))
        var out: [IntensitySlot] = []
        var firstError: (any Error)?
        do {
            let d = try await authorizedGet("\(baseURL)/v3/historical?region=\(r)&start=\(start)&end=\(end)&signal_type=co2_moer")
            out += try WattTimeFormat.slots(d, forecast: false, zone: zone, fetchedAt: now)
        } catch { firstError = error }
        do {
            let d = try await authorizedGet("\(baseURL)/v3/forecast?region=\(r)&signal_type=co2_moer")
            out += try WattTimeFormat.slots(d, forecast: true, zone: zone, fetchedAt: now)
        } catch { firstError = firstError ?? error }
        if out.isEmpty, let firstError { throw firstError }
        return out
    }
}

/// The UK Carbon Intensity API (NESO; no key): the past 24 h (`pt24h`) and 48 h ahead (`fw48h`),
/// national, or regional with a region id. Base URL default `https://api.carbonintensity.org.uk`.
public struct UKCarbonIntensityProvider: IntensityProvider {
    /// `uk-carbon-intensity`.
    public let name = UKCarbonIntensityFormat.source
    /// Average intensity.
    public let kind = IntensitySignalKind.average
    let baseURL: String
    let regionID: Int?
    let timeoutSeconds: Double
    let client: HTTPClient

    /// - Parameter regionID: NESO region id (1–17), or `nil` for Great Britain as a whole.
    public init(baseURL: String, regionID: Int? = nil, timeoutSeconds: Double = 30, client: HTTPClient = .shared) {
        self.baseURL = trimSlash(baseURL)
        self.regionID = regionID
        self.timeoutSeconds = timeoutSeconds
        self.client = client
    }

    /// The API's `{from}` form: `YYYY-MM-DDThh:mmZ`, rounded down to the half hour.
    static func slotTime(_ d: Date) -> String {
        let t = (d.timeIntervalSince1970 / 1800).rounded(.down) * 1800
        return String(ISO8601.string(Date(timeIntervalSince1970: t)).prefix(16)) + "Z"
    }

    /// Fetches the past 24 h (actuals) and 48 h ahead (forecast); both failing throws.
    public func fetch(zone: String, now: Date) async throws -> [IntensitySlot] {
        var out: [IntensitySlot] = []
        var firstError: (any Error)?
        let from = Self.slotTime(now)
        for window in ["pt24h", "fw48h"] {
            let path = regionID.map { "/regional/intensity/\(from)/\(window)/regionid/\($0)" } ?? "/intensity/\(from)/\(window)"
            do {
                let d = try await httpGet(baseURL + path, headers: [], provider: name, timeoutSeconds: timeoutSeconds, client: client)
                out += try UKCarbonIntensityFormat.slots(d, zone: zone, fetchedAt: now)
            } catch { firstError = firstError ?? error }
        }
        if out.isEmpty, let firstError { throw firstError }
        return out
    }
}

/// The Carbon Aware SDK WebAPI (`/emissions/forecasts/current?location=L`), for sites that run it.
/// No default base URL; the kind follows the SDK's configured data source.
public struct CarbonAwareSDKProvider: IntensityProvider {
    /// `carbon-aware-sdk`.
    public let name = CarbonAwareSDKFormat.source
    /// As configured (`carbon-aware-sdk-kind`).
    public let kind: IntensitySignalKind
    let baseURL: String
    let timeoutSeconds: Double
    let client: HTTPClient

    /// - Parameters: the WebAPI's base URL, the kind its data source delivers, the per-request timeout (s).
    public init(baseURL: String, kind: IntensitySignalKind, timeoutSeconds: Double = 30, client: HTTPClient = .shared) {
        self.baseURL = trimSlash(baseURL)
        self.kind = kind
        self.timeoutSeconds = timeoutSeconds
        self.client = client
    }

    /// Fetches the current forecast for the location `zone`.
    /// - Throws: `IntensityProviderError`.
    public func fetch(zone: String, now: Date) async throws -> [IntensitySlot] {
        let d = try await httpGet("\(baseURL)/emissions/forecasts/current?location=\(encodeQuery(zone))", headers: [],
                                  provider: name, timeoutSeconds: timeoutSeconds, client: client)
        return try CarbonAwareSDKFormat.slots(d, zone: zone, kind: kind, fetchedAt: now)
    }
}
