import Foundation
import VerdantCore

// Pure mappings from each provider's documented response body to intensity slots. They take the bytes
// and the request's context and do no I/O, so they are tested without a network.

/// Times as the providers write them: ISO-8601 with or without seconds and fractions
/// (`2018-01-20T12:00Z` from the UK Carbon Intensity API, `2019-05-21T00:00:00.000Z` from Electricity Maps).
public enum ProviderTime {
    /// - Returns: the instant, or `nil` when the text is not ISO-8601.
    public static func parse(_ text: String) -> Date? {
        if let d = ISO8601.parse(text) { return d }
        // yyyy-MM-ddTHH:mmZ or yyyy-MM-ddTHH:mm+hh:mm: insert the seconds.
        let chars = Array(text)
        if chars.count >= 17, chars[13] == ":", chars.count == 16 || !(chars[16].isNumber) {
            return ISO8601.parse(String(chars[0..<16]) + ":00" + String(chars[16...]))
        }
        return nil
    }
}

private func json(_ data: Data, _ provider: String) throws -> Any {
    do {
        return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
        throw IntensityProviderError(provider: provider, message: "the body is not JSON (\(data.count) bytes)")
    }
}

private func number(_ v: Any?) -> Double?? {
    // .none: field absent; .some(nil): JSON null; .some(x): a number.
    guard let v else { return .none }
    if v is NSNull { return .some(nil) }
    if let n = v as? NSNumber, type(of: v) != Bool.self, n.doubleValue.isFinite { return .some(n.doubleValue) }
    return .none
}

/// Slot length (s) of a list of starts: the smallest positive spacing, else `fallback`.
func spacing(_ starts: [Date], fallback: Double) -> Double {
    var best = Double.infinity
    for i in starts.indices.dropFirst() {
        let d = starts[i].timeIntervalSince(starts[i - 1])
        if d > 0 { best = min(best, d) }
    }
    return best.isFinite ? best : fallback
}

/// Electricity Maps API v3 (`/v3/carbon-intensity/latest|history|forecast?zone=Z`, header `auth-token`).
/// Values are average intensity in gCO2eq/kWh; `emissionFactorType` says `lifecycle` or `direct`.
/// Slots are hourly unless the points are closer.
public enum ElectricityMapsFormat {
    /// The provider name stored as `source`.
    public static let source = "electricitymaps"

    /// Maps a `latest`, `history` or `forecast` body.
    /// - Parameters:
    ///   - data: the body.
    ///   - zone: the requested zone (used when the body names none).
    ///   - fetchedAt: when the body was received; the issue time of a forecast without `updatedAt`.
    /// - Throws: `IntensityProviderError` when the body is not the documented shape (e.g. `{}`) or a
    ///   value is not a number or null.
    public static func slots(_ data: Data, zone: String, fetchedAt: Date) throws -> [IntensitySlot] {
        guard let o = try json(data, source) as? [String: Any] else {
            throw IntensityProviderError(provider: source, message: "expected a JSON object")
        }
        let z = (o["zone"] as? String) ?? zone
        var forecast = false
        let items: [[String: Any]]
        if let h = o["history"] as? [[String: Any]] {
            items = h
        } else if let f = o["forecast"] as? [[String: Any]] {
            items = f
            forecast = true
        } else if o["datetime"] != nil {
            items = [o]
        } else {
            throw IntensityProviderError(provider: source, message: "the response has no 'history', 'forecast' or 'datetime': not an Electricity Maps v3 carbon-intensity body")
        }
        let issued = forecast ? ((o["updatedAt"] as? String).flatMap(ProviderTime.parse) ?? fetchedAt) : nil
        var parsed: [(Date, Double?, EmissionBasis?)] = []
        for (i, item) in items.enumerated() {
            guard let ts = item["datetime"] as? String, let t = ProviderTime.parse(ts) else {
                throw IntensityProviderError(provider: source, message: "point \(i + 1): 'datetime' is missing or not ISO-8601")
            }
            guard let v = number(item["carbonIntensity"]) else {
                throw IntensityProviderError(provider: source, message: "point \(i + 1): 'carbonIntensity' is missing or not a number")
            }
            if let v, v < 0 { throw IntensityProviderError(provider: source, message: "point \(i + 1): negative carbonIntensity \(v)") }
            let basis = (item["emissionFactorType"] as? String ?? o["emissionFactorType"] as? String).flatMap(EmissionBasis.init(rawValue:))
            parsed.append((t, v, basis))
        }
        parsed.sort { $0.0 < $1.0 }
        let d = spacing(parsed.map(\.0), fallback: 3600)
        return parsed.map {
            IntensitySlot(zone: z, start: $0.0, durationSeconds: d, value: $0.1.map { IntensityGramsPerKWh($0) },
                          kind: .average, basis: $0.2, source: source, issuedAt: issued)
        }
    }
}

/// WattTime API v3 (`/login` with HTTP basic auth → `{"token"}`; `/v3/forecast` and `/v3/historical`
/// with `region`, `signal_type=co2_moer`, header `Authorization: Bearer <token>`).
/// Values are marginal operating (direct) CO2 rates; `lbs_co2_per_mwh` is converted at this boundary
/// (1 lb = 453.59237 g).
public enum WattTimeFormat {
    /// The provider name stored as `source`.
    public static let source = "watttime"

    /// The token of a `/login` body.
    /// - Throws: `IntensityProviderError` when there is no `token` string.
    public static func token(_ data: Data) throws -> String {
        guard let o = try json(data, source) as? [String: Any], let t = o["token"] as? String, !t.isEmpty else {
            throw IntensityProviderError(provider: source, message: "the login response has no 'token'")
        }
        return t
    }

    /// Maps a `/v3/forecast` (issued at `meta.generated_at`) or `/v3/historical` body.
    /// - Parameters:
    ///   - forecast: whether the body is a forecast (its slots get an issue time).
    ///   - zone: the requested region (used when `meta.region` is absent).
    ///   - fetchedAt: the issue time of a forecast without `generated_at`.
    /// - Throws: `IntensityProviderError` for a body without `data`, unknown `units`, or a bad point.
    public static func slots(_ data: Data, forecast: Bool, zone: String, fetchedAt: Date) throws -> [IntensitySlot] {
        guard let o = try json(data, source) as? [String: Any], let items = o["data"] as? [[String: Any]] else {
            throw IntensityProviderError(provider: source, message: "the response has no 'data' list: not a WattTime v3 body")
        }
        let meta = o["meta"] as? [String: Any] ?? [:]
        let units = (meta["units"] as? String) ?? "lbs_co2_per_mwh"
        let toGrams: (Double) -> IntensityGramsPerKWh
        switch units {
        case "lbs_co2_per_mwh": toGrams = { IntensityGramsPerKWh(poundsPerMWh: $0) }
        case "g_co2_per_kwh", "gco2_per_kwh": toGrams = { IntensityGramsPerKWh($0) }
        default:
            throw IntensityProviderError(provider: source, message: "unknown units '\(units)': expected lbs_co2_per_mwh")
        }
        let region = (meta["region"] as? String) ?? zone
        let issued = forecast ? ((meta["generated_at"] as? String).flatMap(ProviderTime.parse) ?? fetchedAt) : nil
        var parsed: [(Date, Double?)] = []
        for (i, item) in items.enumerated() {
            guard let ts = item["point_time"] as? String, let t = ProviderTime.parse(ts) else {
                throw IntensityProviderError(provider: source, message: "point \(i + 1): 'point_time' is missing or not ISO-8601")
            }
            guard let v = number(item["value"]) else {
                throw IntensityProviderError(provider: source, message: "point \(i + 1): 'value' is missing or not a number")
            }
            parsed.append((t, v))
        }
        parsed.sort { $0.0 < $1.0 }
        let period = number(meta["data_point_period_seconds"]).flatMap { $0 } ?? spacing(parsed.map(\.0), fallback: 300)
        return parsed.map {
            IntensitySlot(zone: region, start: $0.0, durationSeconds: period, value: $0.1.map(toGrams),
                          kind: .marginal, basis: .direct, source: source, issuedAt: issued)
        }
    }
}

/// The UK Carbon Intensity API of NESO (`/intensity/{from}/fw48h`, `/intensity/{from}/{to}`,
/// `/regional/intensity/{from}/fw48h/regionid/{id}`; no key). Half-hour slots `from`–`to`;
/// `intensity.actual` (may be null) is stored as an actual, `intensity.forecast` as a forecast issued
/// at the fetch time (the API does not publish the issue time). Average intensity, gCO2/kWh.
public enum UKCarbonIntensityFormat {
    /// The provider name stored as `source`.
    public static let source = "uk-carbon-intensity"

    /// Maps a national or regional body.
    /// - Parameters:
    ///   - zone: stored as the zone (`GB`, or `GB-<regionid>`).
    ///   - fetchedAt: the forecast's issue time; an actual that is null for a slot that ended before it
    ///     is stored as a missing actual.
    /// - Throws: `IntensityProviderError` for a body without `data` or a bad period.
    public static func slots(_ data: Data, zone: String, fetchedAt: Date) throws -> [IntensitySlot] {
        guard let o = try json(data, source) as? [String: Any], let d = o["data"] else {
            throw IntensityProviderError(provider: source, message: "the response has no 'data': not a Carbon Intensity API body")
        }
        var periods: [[String: Any]] = []
        func collect(_ v: Any) {
            if let list = v as? [[String: Any]] {
                for e in list {
                    if let inner = e["data"] { collect(inner) } else { periods.append(e) }
                }
            } else if let obj = v as? [String: Any] {
                if let inner = obj["data"] { collect(inner) } else { periods.append(obj) }
            }
        }
        collect(d)
        var out: [IntensitySlot] = []
        for (i, p) in periods.enumerated() {
            guard let fs = p["from"] as? String, let from = ProviderTime.parse(fs),
                  let ts = p["to"] as? String, let to = ProviderTime.parse(ts), to > from else {
                throw IntensityProviderError(provider: source, message: "period \(i + 1): 'from'/'to' missing or not ISO-8601")
            }
            guard let intensity = p["intensity"] as? [String: Any] else {
                throw IntensityProviderError(provider: source, message: "period \(i + 1): no 'intensity' object")
            }
            let length = to.timeIntervalSince(from)
            if let a = number(intensity["actual"]) {
                if let a {
                    out.append(IntensitySlot(zone: zone, start: from, durationSeconds: length, value: IntensityGramsPerKWh(a),
                                             kind: .average, source: source))
                } else if to <= fetchedAt {
                    out.append(IntensitySlot(zone: zone, start: from, durationSeconds: length, value: nil, kind: .average, source: source))
                }
            }
            if let f = number(intensity["forecast"]) {
                out.append(IntensitySlot(zone: zone, start: from, durationSeconds: length, value: f.map { IntensityGramsPerKWh($0) },
                                         kind: .average, source: source, issuedAt: fetchedAt))
            }
        }
        return out
    }
}

/// The Carbon Aware SDK WebAPI of the Green Software Foundation
/// (`/emissions/forecasts/current?location=L`): a list of forecasts, each with `generatedAt` and
/// `forecastData` points `{location, timestamp, duration (minutes), value (gCO2eq/kWh)}`. The kind
/// depends on the SDK's data source, so it is configured.
public enum CarbonAwareSDKFormat {
    /// The provider name stored as `source`.
    public static let source = "carbon-aware-sdk"

    /// Maps a `/emissions/forecasts/current` body.
    /// - Throws: `IntensityProviderError` when it is not a list of forecasts or a point is bad.
    public static func slots(_ data: Data, zone: String, kind: IntensitySignalKind, fetchedAt: Date) throws -> [IntensitySlot] {
        guard let list = try json(data, source) as? [[String: Any]] else {
            throw IntensityProviderError(provider: source, message: "expected a JSON list of forecasts")
        }
        var out: [IntensitySlot] = []
        for f in list {
            guard let points = f["forecastData"] as? [[String: Any]] else {
                throw IntensityProviderError(provider: source, message: "a forecast has no 'forecastData' list")
            }
            let issued = (f["generatedAt"] as? String).flatMap(ProviderTime.parse) ?? fetchedAt
            for (i, p) in points.enumerated() {
                guard let ts = p["timestamp"] as? String, let t = ProviderTime.parse(ts) else {
                    throw IntensityProviderError(provider: source, message: "point \(i + 1): 'timestamp' missing or not ISO-8601")
                }
                guard let v = number(p["value"]) else {
                    throw IntensityProviderError(provider: source, message: "point \(i + 1): 'value' missing or not a number")
                }
                let minutes = number(p["duration"]).flatMap { $0 } ?? 5
                guard minutes > 0 else { throw IntensityProviderError(provider: source, message: "point \(i + 1): 'duration' must be positive") }
                out.append(IntensitySlot(zone: (p["location"] as? String) ?? zone, start: t, durationSeconds: minutes * 60,
                                         value: v.map { IntensityGramsPerKWh($0) }, kind: kind, source: source, issuedAt: issued))
            }
        }
        return out
    }
}

/// The bundled table of annual average intensity per country (`static_intensity.csv`:
/// `iso3,iso2,country,gco2_per_kwh,year`; source and licence in the daemon's PROVENANCE.md).
public struct StaticIntensityTable: Sendable {
    /// One country's value.
    public struct Entry: Sendable, Hashable {
        /// ISO-3166 alpha-3 code (`DEU`).
        public let iso3: String
        /// ISO-3166 alpha-2 code (`DE`), empty when ISO has none.
        public let iso2: String
        /// Country name.
        public let country: String
        /// Annual average intensity, gCO2eq/kWh.
        public let intensity: IntensityGramsPerKWh
        /// Year of the data.
        public let year: Int
    }
    /// Entries by upper-case ISO-3166 alpha-3 and alpha-2 code.
    public let entries: [String: Entry]

    /// Parses the table.
    /// - Throws: `TraceParseError` naming the line of a malformed row.
    public init(csv: String) throws {
        var e: [String: Entry] = [:]
        for (i, line) in csv.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated().dropFirst() {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5, let v = Double(f[3]), v >= 0, let y = Int(f[4]) else {
                throw TraceParseError(line: i + 1, message: "expected iso3,iso2,country,gco2_per_kwh,year")
            }
            let entry = Entry(iso3: f[0], iso2: f[1], country: f[2], intensity: IntensityGramsPerKWh(v), year: y)
            e[f[0].uppercased()] = entry
            if !f[1].isEmpty { e[f[1].uppercased()] = entry }
        }
        entries = e
    }

    /// The entry for a zone: an ISO code, or a zone whose prefix before `-`/`_` is one (`GB-13`, `SE_1`
    /// → `GB`, `SE`). `nil` when none matches.
    public func lookup(zone: String) -> Entry? {
        let z = zone.uppercased()
        if let e = entries[z] { return e }
        let prefix = z.split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? z
        return entries[prefix]
    }
}
