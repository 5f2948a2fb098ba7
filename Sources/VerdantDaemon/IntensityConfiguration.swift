import ArgumentParser
import Foundation
import VerdantCore

/// Configuration of the grid-intensity provider chain (issue 4). Keys are documented in
/// docs/configuration.md ("Grid intensity providers"); each has a command-line option of the same name.
public struct IntensityChainConfiguration: Sendable, Equatable {
    /// Providers in chain order (`intensity-providers`, comma-separated): `electricitymaps`,
    /// `watttime`, `uk-carbon-intensity`, `carbon-aware-sdk`. Empty: the trace or the static value only.
    public var providers: [String] = []
    /// How often each provider is asked (`intensity-refresh`, s). Default 15 min: Electricity Maps and
    /// NESO publish hourly and half-hourly, WattTime every 5 min.
    public var refreshSeconds: Double = 900
    /// How long fetched data stays usable when its provider fails (`intensity-forecast-ttl`, s). Default 6 h.
    public var forecastTTLSeconds: Double = 21600
    /// Per-request timeout (`intensity-timeout`, s). Default 30 s.
    public var timeoutSeconds: Double = 30
    /// First backoff delay after an error (`intensity-backoff-base`, s). Default 30 s.
    public var backoffBaseSeconds: Double = 30
    /// Largest backoff delay (`intensity-backoff-cap`, s). Default 30 min.
    public var backoffCapSeconds: Double = 1800
    /// Electricity Maps base URL (`electricitymaps-url`).
    public var electricityMapsURL = "https://api.electricitymap.org"
    /// File holding the Electricity Maps token (`electricitymaps-token-file`); else the systemd credential
    /// `electricitymaps-token`, else `$VERDANT_ELECTRICITYMAPS_TOKEN`.
    public var electricityMapsTokenFile: String?
    /// WattTime base URL (`watttime-url`).
    public var wattTimeURL = "https://api.watttime.org"
    /// WattTime user name (`watttime-username`); else the credential `watttime-username` or `$VERDANT_WATTTIME_USERNAME`.
    public var wattTimeUsername: String?
    /// File holding the WattTime password (`watttime-password-file`); else the credential
    /// `watttime-password`, else `$VERDANT_WATTTIME_PASSWORD`.
    public var wattTimePasswordFile: String?
    /// UK Carbon Intensity API base URL (`uk-carbon-intensity-url`).
    public var ukCarbonIntensityURL = "https://api.carbonintensity.org.uk"
    /// NESO region id 1–17 (`uk-carbon-intensity-region`); `nil` = Great Britain.
    public var ukCarbonIntensityRegion: Int?
    /// Carbon Aware SDK WebAPI base URL (`carbon-aware-sdk-url`); required for that provider.
    public var carbonAwareSDKURL: String?
    /// The kind the SDK's data source delivers (`carbon-aware-sdk-kind`): `marginal` (WattTime, the
    /// SDK's usual source) or `average` (Electricity Maps).
    public var carbonAwareSDKKind: IntensitySignalKind = .marginal
    /// CSV or JSON file for the `file` provider (`intensity-file`).
    public var file: String?
    /// `csv` or `json` (`intensity-file-format`); `nil` = from the extension.
    public var fileFormat: IntensityImportFormat?
    /// Kind of the file's values (`intensity-file-kind`), default `average`.
    public var fileKind: IntensitySignalKind = .average
    /// Whether `static-intensity` was given; if not, the bundled per-country table applies where it
    /// knows the zone.
    public var staticIntensityGiven = false

    /// Known provider names.
    public static let providerNames = ["electricitymaps", "watttime", "uk-carbon-intensity", "carbon-aware-sdk", "file"]

    /// The keys this part of the configuration reads.
    public static let keys = ["intensity-providers", "intensity-refresh", "intensity-forecast-ttl", "intensity-timeout",
                              "intensity-backoff-base", "intensity-backoff-cap", "electricitymaps-url",
                              "electricitymaps-token-file", "watttime-url", "watttime-username", "watttime-password-file",
                              "uk-carbon-intensity-url", "uk-carbon-intensity-region", "carbon-aware-sdk-url",
                              "carbon-aware-sdk-kind", "intensity-file", "intensity-file-format", "intensity-file-kind"]

    /// The defaults above.
    public init() {}

    /// Parses the provider list.
    /// - Throws: a message naming the unknown provider.
    static func parseProviders(_ text: String) throws -> [String] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        for n in names where !providerNames.contains(n) {
            throw ChainConfigError(key: "intensity-providers", message: "unknown provider '\(n)': use \(providerNames.joined(separator: ", "))")
        }
        return names
    }

    struct ChainConfigError: Error {
        let key: String
        let message: String
    }

    /// Applies one key's value (from the file or the command line).
    /// - Throws: `ChainConfigError` naming the key.
    mutating func set(_ key: String, _ v: String) throws {
        func seconds() throws -> Double {
            guard let s = DurationSyntax.parseSeconds(v) else {
                throw ChainConfigError(key: key, message: "'\(key)' must be a duration such as 30s, 15m or 1h; got '\(v)'")
            }
            return s
        }
        switch key {
        case "intensity-providers": providers = try Self.parseProviders(v)
        case "intensity-refresh": refreshSeconds = try seconds()
        case "intensity-forecast-ttl": forecastTTLSeconds = try seconds()
        case "intensity-timeout": timeoutSeconds = try seconds()
        case "intensity-backoff-base": backoffBaseSeconds = try seconds()
        case "intensity-backoff-cap": backoffCapSeconds = try seconds()
        case "electricitymaps-url": electricityMapsURL = v
        case "electricitymaps-token-file": electricityMapsTokenFile = v
        case "watttime-url": wattTimeURL = v
        case "watttime-username": wattTimeUsername = v
        case "watttime-password-file": wattTimePasswordFile = v
        case "uk-carbon-intensity-url": ukCarbonIntensityURL = v
        case "uk-carbon-intensity-region":
            guard let r = Int(v), (1...17).contains(r) else {
                throw ChainConfigError(key: key, message: "'uk-carbon-intensity-region' must be a NESO region id 1–17, got '\(v)'")
            }
            ukCarbonIntensityRegion = r
        case "carbon-aware-sdk-url": carbonAwareSDKURL = v
        case "carbon-aware-sdk-kind":
            guard let k = IntensitySignalKind(rawValue: v) else {
                throw ChainConfigError(key: key, message: "'carbon-aware-sdk-kind' must be average or marginal, got '\(v)'")
            }
            carbonAwareSDKKind = k
        case "intensity-file": file = v
        case "intensity-file-format":
            guard let f = IntensityImportFormat(rawValue: v) else {
                throw ChainConfigError(key: key, message: "'intensity-file-format' must be csv or json, got '\(v)'")
            }
            fileFormat = f
        case "intensity-file-kind":
            guard let k = IntensitySignalKind(rawValue: v) else {
                throw ChainConfigError(key: key, message: "'intensity-file-kind' must be average or marginal, got '\(v)'")
            }
            fileKind = k
        default: break
        }
    }
}

extension DaemonConfiguration {
    /// Applies the intensity-chain keys of a YAML file.
    static func applyIntensityChain(_ f: YAMLFields, file: String, into chain: inout IntensityChainConfiguration) throws {
        for key in IntensityChainConfiguration.keys {
            guard let v = try f.string(key) else { continue }
            do {
                try chain.set(key, v)
            } catch let e as IntensityChainConfiguration.ChainConfigError {
                throw ConfigurationError(file: file, line: f.line(key), message: e.message)
            }
        }
        if f.line("static-intensity") != nil { chain.staticIntensityGiven = true }
    }
}

/// `verdantd` options for the intensity chain: one per key, same names.
struct IntensityChainOptions: ParsableArguments {
    @Option(name: .customLong("intensity-providers"), help: "Provider chain, comma-separated (electricitymaps, watttime, uk-carbon-intensity, carbon-aware-sdk, file).")
    var providers: String?
    @Option(name: .customLong("intensity-refresh"), help: "How often each provider is asked (e.g. 15m).")
    var refresh: String?
    @Option(name: .customLong("intensity-forecast-ttl"), help: "How long fetched data is used when its provider fails (e.g. 6h).")
    var ttl: String?
    @Option(name: .customLong("intensity-timeout"), help: "Per-request timeout (e.g. 30s).")
    var timeout: String?
    @Option(name: .customLong("intensity-backoff-base"), help: "First retry delay after a provider error (e.g. 30s).")
    var backoffBase: String?
    @Option(name: .customLong("intensity-backoff-cap"), help: "Largest retry delay (e.g. 30m).")
    var backoffCap: String?
    @Option(name: .customLong("electricitymaps-url"), help: "Electricity Maps base URL.")
    var emURL: String?
    @Option(name: .customLong("electricitymaps-token-file"), help: "File with the Electricity Maps token.")
    var emTokenFile: String?
    @Option(name: .customLong("watttime-url"), help: "WattTime base URL.")
    var wtURL: String?
    @Option(name: .customLong("watttime-username"), help: "WattTime user name.")
    var wtUser: String?
    @Option(name: .customLong("watttime-password-file"), help: "File with the WattTime password.")
    var wtPasswordFile: String?
    @Option(name: .customLong("uk-carbon-intensity-url"), help: "UK Carbon Intensity API base URL.")
    var ukURL: String?
    @Option(name: .customLong("uk-carbon-intensity-region"), help: "NESO region id 1-17 (default: national).")
    var ukRegion: String?
    @Option(name: .customLong("carbon-aware-sdk-url"), help: "Carbon Aware SDK WebAPI base URL.")
    var sdkURL: String?
    @Option(name: .customLong("carbon-aware-sdk-kind"), help: "average or marginal (what the SDK's data source delivers).")
    var sdkKind: String?
    @Option(name: .customLong("intensity-file"), help: "CSV or JSON intensity file for the 'file' provider.")
    var file: String?
    @Option(name: .customLong("intensity-file-format"), help: "csv or json (default: from the extension).")
    var fileFormat: String?
    @Option(name: .customLong("intensity-file-kind"), help: "average or marginal (default: average).")
    var fileKind: String?

    /// Applies the options given over `c`.
    /// - Throws: `ValidationError` naming the option.
    func apply(to c: inout DaemonConfiguration) throws {
        let pairs: [(String, String?)] = [
            ("intensity-providers", providers), ("intensity-refresh", refresh), ("intensity-forecast-ttl", ttl),
            ("intensity-timeout", timeout), ("intensity-backoff-base", backoffBase), ("intensity-backoff-cap", backoffCap),
            ("electricitymaps-url", emURL), ("electricitymaps-token-file", emTokenFile), ("watttime-url", wtURL),
            ("watttime-username", wtUser), ("watttime-password-file", wtPasswordFile), ("uk-carbon-intensity-url", ukURL),
            ("uk-carbon-intensity-region", ukRegion), ("carbon-aware-sdk-url", sdkURL), ("carbon-aware-sdk-kind", sdkKind),
            ("intensity-file", file), ("intensity-file-format", fileFormat), ("intensity-file-kind", fileKind),
        ]
        for (k, v) in pairs {
            guard let v else { continue }
            do {
                try c.intensityChain.set(k, v)
            } catch let e as IntensityChainConfiguration.ChainConfigError {
                throw ValidationError(e.message.replacingOccurrences(of: "'\(e.key)'", with: "--\(e.key)"))
            }
        }
    }
}
