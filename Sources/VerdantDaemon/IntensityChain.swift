import Foundation
import Logging
import VerdantAPI
import VerdantCarbon
import VerdantCarbonProviders
import VerdantCore
import VerdantStore

/// What the plans use now: the slots of one source and one signal kind, and where they came from.
public struct IntensitySelection: Sendable {
    /// The slots (empty for the static value), one kind only.
    public let slots: IntensitySlotSeries
    /// `<provider>`, `cache:<provider>`, or the static label (`static DEU 380.95 gCO2eq/kWh (…)`).
    public let source: String
    /// The signal kind of every slot.
    public let kind: IntensitySignalKind
    /// The step function for accounting: slots with the fill rule, the static value outside.
    public let series: IntensitySeries
}

/// Credentials for providers: from a file, the systemd credentials directory
/// (`$CREDENTIALS_DIRECTORY/<name>`, systemd.exec(5) "Credentials"), or the environment, in that
/// order. Values are trimmed of surrounding white space and never logged.
enum Credentials {
    /// - Returns: the secret, or `nil` when no source has it.
    /// - Throws: `ConfigurationError` when an explicitly configured file cannot be read.
    static func read(file: String?, credential: String, environment env: String,
                     processEnvironment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        func load(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        }
        if let file {
            guard let v = load(file), !v.isEmpty else {
                throw ConfigurationError(file: file, line: nil, message: "cannot read the credential file (or it is empty): check its path and permissions")
            }
            return v
        }
        if let dir = processEnvironment["CREDENTIALS_DIRECTORY"], let v = load(dir + "/" + credential), !v.isEmpty { return v }
        if let v = processEnvironment[env]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty { return v }
        return nil
    }
}

/// The provider chain: provider → cache (SQLite, younger than the TTL) → own forecaster (the planning
/// forecast of the learned model, `IntensityForecastManager.planningSlots`) → static. Fetches on a schedule with capped exponential backoff and jitter, stores every
/// fetched slot, and says which link the plans use.
public actor IntensityChain {
    struct Link {
        let provider: any IntensityProvider
        var failures = 0
        var lastAttempt: Date?
        var lastSuccess: Date?
        var lastOK = false
        var lastError: String?
        var nextAttempt: Date?
    }

    private var links: [Link]
    private let database: VerdantDatabase
    private let zone: String
    private let refreshSeconds: Double
    private let ttlSeconds: Double
    private let backoff: BackoffSchedule
    private let staticValue: IntensityGramsPerKWh
    private let staticLabel: String
    private let logger: Logger
    private let jitter: @Sendable () -> Double
    /// The selection in force, recomputed after every fetch attempt and when a cache expires.
    public private(set) var current: IntensitySelection
    /// When `current` must be recomputed even without a fetch (a cache reaching its TTL); `nil` = not before the next fetch.
    private var recomputeAt: Date? = .distantPast

    /// The own forecaster: given the zone and now, slots of one kind (actuals up to now, then the
    /// forecast), or `nil` when it has nothing (no stored actuals). Set by `useForecaster`.
    var forecaster: (@Sendable (String, Date) async -> [IntensitySlot]?)?

    /// Makes `forecast` the chain's third link (after the providers and the cache).
    public func useForecaster(_ forecast: @escaping @Sendable (String, Date) async -> [IntensitySlot]?) {
        forecaster = forecast
    }

    init(providers: [any IntensityProvider], database: VerdantDatabase, zone: String, refreshSeconds: Double,
         ttlSeconds: Double, backoff: BackoffSchedule, staticValue: IntensityGramsPerKWh, staticLabel: String,
         logger: Logger, jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        links = providers.map { Link(provider: $0) }
        self.database = database
        self.zone = zone
        self.refreshSeconds = refreshSeconds
        self.ttlSeconds = ttlSeconds
        self.backoff = backoff
        self.staticValue = staticValue
        self.staticLabel = staticLabel
        self.logger = logger
        self.jitter = jitter
        current = IntensitySelection(slots: IntensitySlotSeries(slots: [], fallback: staticValue), source: staticLabel,
                                     kind: .average, series: IntensitySeries(points: [], fallback: staticValue))
    }

    /// Asks every provider that is due (its refresh period passed, or its backoff delay after an
    /// error), stores what arrives, then recomputes the selection.
    /// - Returns: the selection in force.
    @discardableResult
    public func refresh(now: Date) async -> IntensitySelection {
        var attempted = false
        for i in links.indices {
            if let next = links[i].nextAttempt, next > now { continue }
            attempted = true
            let p = links[i].provider
            links[i].lastAttempt = now
            do {
                let slots = try await p.fetch(zone: zone, now: now)
                guard !slots.isEmpty else {
                    throw IntensityProviderError(provider: p.name, message: "the response held no slots")
                }
                try database.store(slots: slots, fetchedAt: now)
                links[i].failures = 0
                links[i].lastOK = true
                links[i].lastSuccess = now
                links[i].lastError = nil
                links[i].nextAttempt = now.addingTimeInterval(refreshSeconds)
                logger.info("intensity fetched", metadata: ["provider": "\(p.name)", "slots": "\(slots.count)"])
            } catch {
                links[i].failures += 1
                links[i].lastOK = false
                links[i].lastError = "\(error)"
                let delay = backoff.delaySeconds(afterFailures: links[i].failures, jitter: jitter())
                links[i].nextAttempt = now.addingTimeInterval(delay)
                logger.warning("intensity provider failed; backing off", metadata: [
                    "provider": "\(p.name)", "error": "\(error)", "failures": "\(links[i].failures)", "retry_in_s": "\(Int(delay))"])
            }
        }
        if attempted || (recomputeAt.map { now >= $0 } ?? false) {
            current = await select(now: now)
        }
        return current
    }

    /// Recomputes the selection from what is stored, without asking any provider (used at start-up,
    /// so a slow or unreachable provider never delays serving).
    @discardableResult
    public func reselect(now: Date) async -> IntensitySelection {
        current = await select(now: now)
        return current
    }

    /// Walks the chain: the first provider whose last fetch succeeded and has slots; else the first
    /// whose stored slots were fetched less than the TTL ago (`cache:<provider>`); else the forecaster
    /// seam; else the static value.
    func select(now: Date) async -> IntensitySelection {
        recomputeAt = nil
        let from = now.addingTimeInterval(-86400), to = now.addingTimeInterval(7 * 86400)
        for link in links where link.lastOK {
            if let s = try? database.slots(zone: zone, from: from, to: to, kind: link.provider.kind, source: link.provider.name), !s.isEmpty {
                return make(s, source: link.provider.name, kind: link.provider.kind)
            }
        }
        for link in links {
            let p = link.provider
            guard let newest = try? database.newestSlot(zone: zone, source: p.name), let fetched = newest.fetchedAt,
                  now.timeIntervalSince(fetched) < ttlSeconds else { continue }
            if let s = try? database.slots(zone: zone, from: from, to: to, kind: p.kind, source: p.name),
               s.contains(where: { $0.end > now }) {
                recomputeAt = fetched.addingTimeInterval(ttlSeconds)
                return make(s, source: "cache:" + p.name, kind: p.kind)
            }
        }
        if let f = forecaster, let s = await f(zone, now), let k = s.first?.kind {
            // Recomputed when the next slot begins: a new origin, and a model retrained meanwhile.
            let slot = s.last?.durationSeconds ?? 3600
            recomputeAt = Date(timeIntervalSince1970: ((now.timeIntervalSince1970 / slot).rounded(.down) + 1) * slot)
            return make(s.filter { $0.kind == k }, source: "forecaster", kind: k)
        }
        return IntensitySelection(slots: IntensitySlotSeries(slots: [], fallback: staticValue), source: staticLabel,
                                  kind: .average, series: IntensitySeries(points: [], fallback: staticValue))
    }

    private func make(_ slots: [IntensitySlot], source: String, kind: IntensitySignalKind) -> IntensitySelection {
        let series = IntensitySlotSeries(slots: slots.filter { $0.kind == kind }, fallback: staticValue)
        return IntensitySelection(slots: series, source: source, kind: kind, series: series.filledSeries())
    }

    /// The chain for `verdant intensity sources`. No credential appears in it.
    func sources(now: Date) -> [IntensitySourceView] {
        var out: [IntensitySourceView] = []
        for (i, l) in links.enumerated() {
            let newest = try? database.newestSlot(zone: zone, source: l.provider.name)
            let health: String
            if l.lastAttempt == nil { health = "not-fetched" } else if l.lastOK { health = "ok" } else if (l.nextAttempt ?? now) > now { health = "backoff" } else { health = "failing" }
            out.append(IntensitySourceView(
                position: i + 1, name: l.provider.name, kind: l.provider.kind.rawValue, health: health,
                inUse: current.source == l.provider.name, lastFetch: l.lastSuccess, lastError: l.lastError,
                consecutiveFailures: l.failures, nextAttempt: l.nextAttempt, newestPoint: newest?.start ?? nil,
                newestPointAgeSeconds: (newest?.start ?? nil).map { now.timeIntervalSince($0) }, detail: nil))
        }
        let n = links.count
        out.append(IntensitySourceView(position: n + 1, name: "cache", kind: current.kind.rawValue,
                                       health: current.source.hasPrefix("cache:") ? "in-use" : "ok",
                                       inUse: current.source.hasPrefix("cache:"), lastFetch: nil, lastError: nil, consecutiveFailures: 0,
                                       nextAttempt: nil, newestPoint: nil, newestPointAgeSeconds: nil,
                                       detail: "SQLite slots fetched less than \(DurationSyntax.format(seconds: ttlSeconds)) ago"))
        out.append(IntensitySourceView(position: n + 2, name: "forecaster", kind: "average", health: forecaster == nil ? "unavailable" : "ok",
                                       inUse: current.source == "forecaster", lastFetch: nil, lastError: nil, consecutiveFailures: 0,
                                       nextAttempt: nil, newestPoint: nil, newestPointAgeSeconds: nil,
                                       detail: "own forecaster: the learned model (or seasonal naive 24 h) shrunk toward the 8-week weekly climatology, from the stored actuals"))
        out.append(IntensitySourceView(position: n + 3, name: "static", kind: "average", health: "ok",
                                       inUse: current.source == staticLabel, lastFetch: nil, lastError: nil, consecutiveFailures: 0,
                                       nextAttempt: nil, newestPoint: nil, newestPointAgeSeconds: nil, detail: staticLabel))
        return out
    }
}

extension Daemon {
    /// The static value and its label: `static-intensity` when given, else the bundled per-country
    /// table's entry for the zone, else 480 g (the documented default).
    static func staticIntensity(configuration c: DaemonConfiguration, zone: String) -> (IntensityGramsPerKWh, String) {
        if !c.intensityChain.staticIntensityGiven, let table = try? StaticIntensityTable(csv: BundledResources.staticIntensityTable()),
           let e = table.lookup(zone: zone) {
            return (e.intensity, "static \(e.intensity.gramsPerKWh) gCO2eq/kWh (\(e.iso3) \(e.year), Our World in Data via CodeCarbon, CC BY 4.0)")
        }
        return (IntensityGramsPerKWh(c.staticIntensity), "static \(c.staticIntensity) gCO2eq/kWh")
    }

    /// Builds the configured providers.
    /// - Throws: `ConfigurationError` for a provider without its credentials or URL.
    static func intensityProviders(configuration c: DaemonConfiguration, zone: String) throws -> [any IntensityProvider] {
        let k = c.intensityChain
        return try k.providers.map { name -> any IntensityProvider in
            switch name {
            case "electricitymaps":
                guard let token = try Credentials.read(file: k.electricityMapsTokenFile, credential: "electricitymaps-token",
                                                       environment: "VERDANT_ELECTRICITYMAPS_TOKEN") else {
                    throw ConfigurationError(file: "configuration", line: nil, message: "electricitymaps needs a token: set electricitymaps-token-file, the systemd credential 'electricitymaps-token', or $VERDANT_ELECTRICITYMAPS_TOKEN")
                }
                return ElectricityMapsProvider(baseURL: k.electricityMapsURL, token: token, timeoutSeconds: k.timeoutSeconds)
            case "watttime":
                guard let user = try k.wattTimeUsername ?? Credentials.read(file: nil, credential: "watttime-username", environment: "VERDANT_WATTTIME_USERNAME"),
                      let password = try Credentials.read(file: k.wattTimePasswordFile, credential: "watttime-password", environment: "VERDANT_WATTTIME_PASSWORD") else {
                    throw ConfigurationError(file: "configuration", line: nil, message: "watttime needs watttime-username and a password: set watttime-password-file, the systemd credential 'watttime-password', or $VERDANT_WATTTIME_PASSWORD")
                }
                return WattTimeProvider(baseURL: k.wattTimeURL, username: user, password: password, timeoutSeconds: k.timeoutSeconds)
            case "file":
                guard let path = k.file else {
                    throw ConfigurationError(file: "configuration", line: nil, message: "the file provider needs intensity-file (a CSV or JSON intensity file)")
                }
                let p = FileIntensityProvider(path: path, format: k.fileFormat, kind: k.fileKind)
                do {
                    _ = try p.load(zone: zone)   // a bad file stops the daemon before anything is written
                } catch let e as IntensityProviderError {
                    throw ConfigurationError(file: "intensity-file", line: nil, message: e.message)
                }
                return p
            case "uk-carbon-intensity":
                return UKCarbonIntensityProvider(baseURL: k.ukCarbonIntensityURL, regionID: k.ukCarbonIntensityRegion, timeoutSeconds: k.timeoutSeconds)
            default:
                guard let url = k.carbonAwareSDKURL else {
                    throw ConfigurationError(file: "configuration", line: nil, message: "carbon-aware-sdk needs carbon-aware-sdk-url (the WebAPI your site runs)")
                }
                return CarbonAwareSDKProvider(baseURL: url, kind: k.carbonAwareSDKKind, timeoutSeconds: k.timeoutSeconds)
            }
        }
    }
}

extension BundledResources {
    static func staticIntensityTable() -> String {
        (try? String(contentsOf: Bundle.module.bundleURL.appendingPathComponent("reference/static_intensity.csv"), encoding: .utf8)) ?? ""
    }
}
