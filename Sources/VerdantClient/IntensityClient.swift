import Foundation
import VerdantAPI

// MARK: Grid intensity (issue 4)

extension DaemonClient {
    /// Stored intensity slots; parameters as the user typed them, resolved by the daemon.
    public func intensity(zone: String?, since: String?, until: String?, forecast: Bool) async throws -> [IntensityPointView] {
        var items: [URLQueryItem] = []
        if let zone { items.append(URLQueryItem(name: "zone", value: zone)) }
        if let since { items.append(URLQueryItem(name: "since", value: since)) }
        if let until { items.append(URLQueryItem(name: "until", value: until)) }
        if forecast { items.append(URLQueryItem(name: "forecast", value: "1")) }
        var comps = URLComponents()
        comps.path = APIRoutes.intensity
        comps.queryItems = items.isEmpty ? nil : items
        return try await send("GET", comps.string ?? APIRoutes.intensity)
    }

    /// Imports a file's content into the daemon's store.
    public func importIntensity(_ r: IntensityImportRequest) async throws -> IntensityImportResult {
        try await send("POST", APIRoutes.intensityImport, body: try APIJSON.encoder().encode(r))
    }

    /// The configured intensity chain.
    public func intensitySources() async throws -> [IntensitySourceView] {
        try await send("GET", APIRoutes.intensitySources)
    }

    /// The daemon's forecast for a zone over a horizon (`48h`).
    public func forecast(zone: String?, horizon: String?) async throws -> ForecastView {
        var items: [URLQueryItem] = []
        if let zone { items.append(URLQueryItem(name: "zone", value: zone)) }
        if let horizon { items.append(URLQueryItem(name: "horizon", value: horizon)) }
        var comps = URLComponents()
        comps.path = APIRoutes.forecast
        comps.queryItems = items.isEmpty ? nil : items
        return try await send("GET", comps.string ?? APIRoutes.forecast)
    }
}
