import Foundation

/// A source of grid carbon intensity behind one protocol: Electricity Maps, WattTime, the UK Carbon
/// Intensity API, the Carbon Aware SDK WebAPI, a file. Adapters implement it; the daemon chains them
/// (provider → cache → static) and stores every slot they return.
public protocol IntensityProvider: Sendable {
    /// The name used in configuration, status and each slot's `source` (`electricitymaps`, …).
    var name: String { get }
    /// The signal kind every slot of this provider has.
    var kind: IntensitySignalKind { get }
    /// Fetches what the provider has around `now` for the zone: recent actuals and its forecast.
    /// - Parameters:
    ///   - zone: the provider's zone, region or location name.
    ///   - now: the daemon's time, UTC.
    /// - Returns: slots in gCO2eq/kWh, each with its zone, slot, kind, source and, for forecasts, issue time.
    /// - Throws: `IntensityProviderError` for an HTTP error, an unusable body or a failed login.
    func fetch(zone: String, now: Date) async throws -> [IntensitySlot]
}

/// A provider could not deliver: says which provider, what happened and what to check. Never
/// contains a token or password.
public struct IntensityProviderError: Error, CustomStringConvertible, Sendable {
    /// The provider's name.
    public let provider: String
    /// HTTP status when the provider answered with an error, else `nil`.
    public let status: Int?
    /// What went wrong.
    public let message: String

    /// - Parameters: the provider's name, the HTTP status when there was one, and a message without secrets.
    public init(provider: String, status: Int? = nil, message: String) {
        self.provider = provider
        self.status = status
        self.message = message
    }

    /// `<provider>: HTTP <status>: <message>`.
    public var description: String {
        "\(provider): " + (status.map { "HTTP \($0): " } ?? "") + message
    }
}
