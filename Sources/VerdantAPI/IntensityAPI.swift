import Foundation
import VerdantCore

// MARK: Grid intensity (issue 4)
//
// Routes (JSON; errors as for the other routes):
// - `GET /v1/intensity?zone=Z&since=T&until=T&forecast=1` → `[IntensityPointView]`
// - `POST /v1/intensity/import` body `IntensityImportRequest` → `IntensityImportResult`
// - `GET /v1/intensity/sources` → `[IntensitySourceView]`
// Shapes documented in docs/cli.md ("JSON: intensity").

extension APIRoutes {
    /// `GET`: stored slots.
    public static let intensity = "/v1/intensity"
    /// `POST`: import a file (root only).
    public static let intensityImport = "/v1/intensity/import"
    /// `GET`: the chain.
    public static let intensitySources = "/v1/intensity/sources"
}

/// One intensity slot as `verdant intensity --json` prints it. Every key is always present.
public struct IntensityPointView: Codable, Sendable, Hashable {
    /// Grid zone.
    public var zone: String
    /// Slot start, ISO-8601 UTC.
    public var start: Date
    /// Slot length (s).
    public var durationSeconds: Double
    /// gCO2eq/kWh, `null` where the source has no value (never 0 or −1).
    public var gramsPerKWh: Double?
    /// `average` or `marginal`.
    public var kind: String
    /// `lifecycle`, `direct` or `null` when the source does not say.
    public var basis: String?
    /// Where it came from (`electricitymaps`, `import:<file>`, …).
    public var source: String
    /// For forecasts, when the forecast was issued; `null` for actuals.
    public var issuedAt: Date?

    enum CodingKeys: String, CodingKey {
        case zone, start, kind, basis, source
        case durationSeconds = "duration_s"
        case gramsPerKWh = "gco2_per_kwh"
        case issuedAt = "issued_at"
    }

    /// The view of a slot.
    public init(_ s: IntensitySlot) {
        zone = s.zone
        start = s.start
        durationSeconds = s.durationSeconds
        gramsPerKWh = s.value?.gramsPerKWh
        kind = s.kind.rawValue
        basis = s.basis?.rawValue
        source = s.source
        issuedAt = s.issuedAt
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(zone, forKey: .zone)
        try c.encode(start, forKey: .start)
        try c.encode(durationSeconds, forKey: .durationSeconds)
        try c.encode(gramsPerKWh, forKey: .gramsPerKWh)
        try c.encode(kind, forKey: .kind)
        try c.encode(basis, forKey: .basis)
        try c.encode(source, forKey: .source)
        try c.encode(issuedAt, forKey: .issuedAt)
    }
}

/// `verdant intensity import`: the file's content travels in the request; the daemon parses it and
/// writes every slot in one transaction, or nothing.
public struct IntensityImportRequest: Codable, Sendable {
    /// The file name as given (for messages and the `import:<name>` source).
    public var fileName: String
    /// The whole file.
    public var content: String
    /// `csv` or `json`.
    public var format: String
    /// Zone to store; `nil` = from the file.
    public var zone: String?
    /// `average` or `marginal`.
    public var kind: String

    enum CodingKeys: String, CodingKey {
        case content, format, zone, kind
        case fileName = "file_name"
    }

    /// - Parameters: see the properties.
    public init(fileName: String, content: String, format: String, zone: String?, kind: String) {
        self.fileName = fileName
        self.content = content
        self.format = format
        self.zone = zone
        self.kind = kind
    }
}

/// One missing stretch reported by an import.
public struct IntensityGapView: Codable, Sendable, Hashable {
    /// Start and end (exclusive) of the missing stretch, UTC.
    public var start: Date
    public var end: Date
    /// `null-value` or `missing-slot`.
    public var reason: String
    /// Line of the file where it was seen.
    public var line: Int?

    /// The view of a gap.
    public init(_ g: IntensityGap) {
        start = g.start
        end = g.end
        reason = g.reason
        line = g.line
    }
}

/// What an import stored.
public struct IntensityImportResult: Codable, Sendable, Hashable {
    /// Zone, `import:<file>` source and kind of the stored slots.
    public var zone: String
    public var source: String
    public var kind: String
    /// Slots stored (rows), of which `known` have a value.
    public var slots: Int
    public var known: Int
    /// First and last slot start, UTC.
    public var first: Date?
    public var last: Date?
    /// How the columns were read, e.g. `time=from, end=to, value=actual`.
    public var mapping: String
    /// Every missing stretch, with its line.
    public var gaps: [IntensityGapView]

    /// - Parameters: see the properties.
    public init(zone: String, source: String, kind: String, slots: Int, known: Int, first: Date?, last: Date?,
                mapping: String, gaps: [IntensityGapView]) {
        self.zone = zone
        self.source = source
        self.kind = kind
        self.slots = slots
        self.known = known
        self.first = first
        self.last = last
        self.mapping = mapping
        self.gaps = gaps
    }
}

/// One link of the configured chain, as `verdant intensity sources` shows it. Never carries a credential.
public struct IntensitySourceView: Codable, Sendable, Hashable {
    /// Position in the chain, 1-based.
    public var position: Int
    /// `electricitymaps`, …, `cache`, `forecaster` (the learned model's planning forecast), `static`, or `trace:<file>`.
    public var name: String
    /// `average` or `marginal`.
    public var kind: String
    /// `ok`, `failing`, `backoff`, `not-fetched`, `unavailable` or `in-use`.
    public var health: String
    /// Whether the current plans use this link.
    public var inUse: Bool
    /// Last successful fetch, the last error (never a credential), failures in a row, and the next try after backoff.
    public var lastFetch: Date?
    public var lastError: String?
    public var consecutiveFailures: Int
    public var nextAttempt: Date?
    /// Start of the newest stored slot of this source, and its age (s) at the daemon's now.
    public var newestPoint: Date?
    public var newestPointAgeSeconds: Double?
    /// Free text: the static value and its table, source and year.
    public var detail: String?

    enum CodingKeys: String, CodingKey {
        case position, name, kind, health, detail
        case inUse = "in_use"
        case lastFetch = "last_fetch"
        case lastError = "last_error"
        case consecutiveFailures = "consecutive_failures"
        case nextAttempt = "next_attempt"
        case newestPoint = "newest_point"
        case newestPointAgeSeconds = "newest_point_age_s"
    }

    /// - Parameters: see the properties.
    public init(position: Int, name: String, kind: String, health: String, inUse: Bool, lastFetch: Date?, lastError: String?,
                consecutiveFailures: Int, nextAttempt: Date?, newestPoint: Date?, newestPointAgeSeconds: Double?, detail: String?) {
        self.position = position
        self.name = name
        self.kind = kind
        self.health = health
        self.inUse = inUse
        self.lastFetch = lastFetch
        self.lastError = lastError
        self.consecutiveFailures = consecutiveFailures
        self.nextAttempt = nextAttempt
        self.newestPoint = newestPoint
        self.newestPointAgeSeconds = newestPointAgeSeconds
        self.detail = detail
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(position, forKey: .position)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(health, forKey: .health)
        try c.encode(inUse, forKey: .inUse)
        try c.encode(lastFetch, forKey: .lastFetch)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try c.encode(nextAttempt, forKey: .nextAttempt)
        try c.encode(newestPoint, forKey: .newestPoint)
        try c.encode(newestPointAgeSeconds, forKey: .newestPointAgeSeconds)
        try c.encode(detail, forKey: .detail)
    }
}

/// The intensity part of the daemon's API. The server registers these routes when its handler conforms.
public protocol VerdantIntensityAPIHandler: Sendable {
    /// Stored slots. `since`/`until`: ISO-8601 or a duration before now; defaults: 24 h back, 48 h ahead.
    func intensity(zone: String?, since: String?, until: String?, forecast: Bool) async throws -> [IntensityPointView]
    /// Imports a file; nothing is written when any row is bad (HTTP 400 naming the line).
    func importIntensity(_ request: IntensityImportRequest) async throws -> IntensityImportResult
    /// The configured chain with health and freshness.
    func intensitySources() async throws -> [IntensitySourceView]
}

// MARK: Carbon-intensity forecast (issue 5)
//
// Route: `GET /v1/forecast?zone=Z&horizon=48h` → `ForecastView` (docs/cli.md, "JSON: forecast").

extension APIRoutes {
    /// `GET`: the forecast from the daemon's trained model.
    public static let forecast = "/v1/forecast"
}

/// One forecast slot with its prediction interval.
public struct ForecastPointView: Codable, Sendable, Hashable {
    /// Slot start, ISO-8601 UTC.
    public var start: Date
    /// Point forecast, gCO2eq/kWh.
    public var gramsPerKWh: Double
    /// 80 % prediction interval, gCO2eq/kWh.
    public var lowerGramsPerKWh: Double
    public var upperGramsPerKWh: Double

    enum CodingKeys: String, CodingKey {
        case start
        case gramsPerKWh = "gco2_per_kwh"
        case lowerGramsPerKWh = "lower_gco2_per_kwh"
        case upperGramsPerKWh = "upper_gco2_per_kwh"
    }

    public init(start: Date, gramsPerKWh: Double, lowerGramsPerKWh: Double, upperGramsPerKWh: Double) {
        self.start = start
        self.gramsPerKWh = gramsPerKWh
        self.lowerGramsPerKWh = lowerGramsPerKWh
        self.upperGramsPerKWh = upperGramsPerKWh
    }
}

/// `verdant forecast --json`: which forecast was used and its points.
public struct ForecastView: Codable, Sendable, Hashable {
    /// Grid zone.
    public var zone: String
    /// The forecast used: the model's name (`ridge-v1`) or the fallback (`seasonal-naive-24h`).
    public var forecastUsed: String
    /// Why that forecast (e.g. "model 12 scored worse than seasonal naive 24 h on its backtest").
    public var reason: String
    /// The stored model's version (row id), `null` when none was trained.
    public var modelVersion: Int64?
    /// When the model was trained and on which window, `null` when none.
    public var trainedAt: Date?
    public var trainingStart: Date?
    public var trainingEnd: Date?
    /// Mean out-of-sample MAPE (%) of the model and of seasonal naive 24 h on the latest backtest.
    public var backtestMAPE: Double?
    public var seasonalNaiveMAPE: Double?
    /// Forecast origin (start of the first slot) and slot length (s).
    public var origin: Date
    public var slotSeconds: Int
    public var points: [ForecastPointView]

    enum CodingKeys: String, CodingKey {
        case zone, reason, origin, points
        case forecastUsed = "forecast_used"
        case modelVersion = "model_version"
        case trainedAt = "trained_at"
        case trainingStart = "training_start"
        case trainingEnd = "training_end"
        case backtestMAPE = "backtest_mape"
        case seasonalNaiveMAPE = "seasonal_naive_mape"
        case slotSeconds = "slot_s"
    }

    public init(zone: String, forecastUsed: String, reason: String, modelVersion: Int64?, trainedAt: Date?, trainingStart: Date?,
                trainingEnd: Date?, backtestMAPE: Double?, seasonalNaiveMAPE: Double?, origin: Date, slotSeconds: Int, points: [ForecastPointView]) {
        self.zone = zone
        self.forecastUsed = forecastUsed
        self.reason = reason
        self.modelVersion = modelVersion
        self.trainedAt = trainedAt
        self.trainingStart = trainingStart
        self.trainingEnd = trainingEnd
        self.backtestMAPE = backtestMAPE
        self.seasonalNaiveMAPE = seasonalNaiveMAPE
        self.origin = origin
        self.slotSeconds = slotSeconds
        self.points = points
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(zone, forKey: .zone)
        try c.encode(forecastUsed, forKey: .forecastUsed)
        try c.encode(reason, forKey: .reason)
        try c.encode(modelVersion, forKey: .modelVersion)
        try c.encode(trainedAt, forKey: .trainedAt)
        try c.encode(trainingStart, forKey: .trainingStart)
        try c.encode(trainingEnd, forKey: .trainingEnd)
        try c.encode(backtestMAPE, forKey: .backtestMAPE)
        try c.encode(seasonalNaiveMAPE, forKey: .seasonalNaiveMAPE)
        try c.encode(origin, forKey: .origin)
        try c.encode(slotSeconds, forKey: .slotSeconds)
        try c.encode(points, forKey: .points)
    }
}

/// The forecast part of the API, implemented by the daemon.
public protocol VerdantForecastAPIHandler: Sendable {
    /// The forecast for `zone` (default: the daemon's zone) over `horizon` (a duration, default 48h).
    /// - Throws: `APIError` 400 for a bad horizon, 404 when the zone has no stored actuals.
    func forecast(zone: String?, horizon: String?) async throws -> ForecastView
}
