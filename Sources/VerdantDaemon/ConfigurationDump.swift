import Foundation
import VerdantCore

/// One configuration key as `verdantd` sees it (`verdantd --dump-config`, `verdant config dump`).
public struct ConfigurationEntry: Sendable, Codable, Hashable {
    /// The key, as in the file and the option (`state-dir`), or a credential (`electricitymaps-token`).
    public var key: String
    /// The value in force, rendered as the file would take it (durations as `30s`, `6h`); `null` when
    /// unset; a secret is `"********"`, never its text.
    public var value: String?
    /// `default`, `file`, `environment`, `credential` (systemd's `$CREDENTIALS_DIRECTORY`) or `command line`.
    public var source: String
    /// Where: the file and line (`/etc/verdant/verdantd.yaml:4`), the variable (`$VERDANT_…`), the option (`--state-dir`).
    public var origin: String?
    /// Whether the value is a secret (masked).
    public var secret: Bool

    public init(key: String, value: String?, source: String, origin: String?, secret: Bool = false) {
        self.key = key
        self.value = value
        self.source = source
        self.origin = origin
        self.secret = secret
    }
}

/// Builds the dump from the daemon's own loading (`DaemonCommand.effectiveConfiguration`), so what it
/// shows is what the daemon uses; the source of each key comes from the layers that set it.
public enum ConfigurationDump {
    /// The entries of every key in `DaemonConfiguration.keys` order, then the provider credentials.
    /// - Parameters:
    ///   - arguments: verdantd's arguments (without argv[0]).
    ///   - environment: verdantd's environment (credentials come from it).
    /// - Throws: `ConfigurationError` / `ValidationError` exactly as verdantd would refuse to start.
    public static func entries(arguments: [String], environment: [String: String]) throws -> [ConfigurationEntry] {
        let command = try DaemonCommand.parse(arguments)
        let c = try command.effectiveConfiguration()
        var fileLines: [String: Int] = [:]
        let filePath = command.configFile
        let text = filePath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? DaemonConfiguration.embeddedDefault
        if let f = try? YAMLFields(text: text, file: filePath ?? "embedded") {
            for key in DaemonConfiguration.keys { if let l = f.line(key) { fileLines[key] = l } }
        }
        let given = optionsGiven(arguments)
        var out: [ConfigurationEntry] = []
        for (key, value) in values(c) {
            if given.contains(key) {
                out.append(ConfigurationEntry(key: key, value: value, source: "command line", origin: "--\(key)"))
            } else if let line = fileLines[key] {
                if let filePath {
                    out.append(ConfigurationEntry(key: key, value: value, source: "file", origin: "\(filePath):\(line)"))
                } else {
                    out.append(ConfigurationEntry(key: key, value: value, source: "default", origin: "embedded default configuration"))
                }
            } else {
                out.append(ConfigurationEntry(key: key, value: value, source: "default", origin: nil))
            }
        }
        let k = c.intensityChain
        out.append(credential("electricitymaps-token", file: k.electricityMapsTokenFile, fileKey: "electricitymaps-token-file",
                              env: "VERDANT_ELECTRICITYMAPS_TOKEN", environment: environment, secret: true))
        // The user name is a key of its own; from the credentials directory or the environment it is listed apart.
        let user = credential("watttime-username", file: nil, fileKey: "", env: "VERDANT_WATTTIME_USERNAME", environment: environment, secret: false)
        if k.wattTimeUsername == nil, user.source != "default" { out.append(user) }
        out.append(credential("watttime-password", file: k.wattTimePasswordFile, fileKey: "watttime-password-file",
                              env: "VERDANT_WATTTIME_PASSWORD", environment: environment, secret: true))
        return out
    }

    /// Where a credential comes from, in `Credentials.read`'s order: the configured file, systemd's
    /// credentials directory, the environment. The value of a secret is masked.
    static func credential(_ name: String, file: String?, fileKey: String, env: String, environment: [String: String], secret: Bool) -> ConfigurationEntry {
        func load(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.flatMap { $0.isEmpty ? nil : $0 }
        }
        func shown(_ v: String?) -> String? { v.map { secret ? "********" : $0 } }
        if let file {
            return ConfigurationEntry(key: name, value: shown(load(file)) ?? "(unreadable: \(file))", source: "file", origin: "\(fileKey): \(file)", secret: secret)
        }
        if let dir = environment["CREDENTIALS_DIRECTORY"], let v = load(dir + "/" + name) {
            return ConfigurationEntry(key: name, value: shown(v), source: "credential", origin: "$CREDENTIALS_DIRECTORY/\(name)", secret: secret)
        }
        if let v = environment[env]?.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty {
            return ConfigurationEntry(key: name, value: shown(v), source: "environment", origin: "$\(env)", secret: secret)
        }
        return ConfigurationEntry(key: name, value: nil, source: "default", origin: nil, secret: secret)
    }

    /// The keys given as options in `arguments` (`--key VALUE` or `--key=VALUE`).
    static func optionsGiven(_ arguments: [String]) -> Set<String> {
        var out: Set<String> = []
        for a in arguments where a.hasPrefix("--") {
            let name = String(a.dropFirst(2).prefix { $0 != "=" })
            if DaemonConfiguration.keys.contains(name) { out.insert(name) }
        }
        return out
    }

    /// `7d`, `6h`, `30m`, `0.2s`.
    static func duration(_ s: Double) -> String {
        for (unit, n) in [("d", 86400.0), ("h", 3600), ("m", 60)] where s >= n && s.truncatingRemainder(dividingBy: n) == 0 {
            return "\(Int(s / n))\(unit)"
        }
        return number(s) + "s"
    }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// A URL with its user information (`user:password@`) masked.
    static func maskedURL(_ s: String) -> String {
        guard let scheme = s.range(of: "://"), let at = s[scheme.upperBound...].firstIndex(of: "@"),
              !s[scheme.upperBound..<at].contains("/") else { return s }
        return String(s[..<scheme.upperBound]) + "********@" + String(s[s.index(after: at)...])
    }

    /// Every key's value in force, as the file would take it; `nil` when unset.
    static func values(_ c: DaemonConfiguration) -> [(String, String?)] {
        let k = c.intensityChain
        let a = c.access
        let table: [String: String?] = [
            "state-dir": c.stateDirectory, "intensity-trace": c.intensityTrace, "intensity-zone": c.intensityZone,
            "replay-speed": number(c.replaySpeed), "replay-start": c.replayStart.map(ISO8601.string),
            "static-intensity": number(c.staticIntensity), "powercap-root": c.powercapRoot, "perf-power-root": c.perfPowerRoot,
            "proc-root": c.procRoot, "cgroup-root": c.cgroupRoot, "sample-interval": duration(c.sampleIntervalSeconds),
            "flush-interval": duration(c.flushIntervalSeconds), "policy": c.policyFile,
            "estimate-max-watts": c.estimateMaxWatts.map(number), "estimate-idle-watts": number(c.estimateIdleWatts),
            "log-level": c.logLevel, "executor": c.executor, "debug-stall-file": c.debugStallFile,
            "debug-hung-component": String(c.debugHungComponent), "shutdown-grace": duration(c.shutdownGraceSeconds),
            "raw-retention": duration(c.rawRetentionSeconds), "metrics-address": c.metricsAddress,
            "metrics-textfile": c.metricsTextfile, "forecast-retrain-interval": duration(c.forecastRetrainSeconds),
            "intensity-providers": k.providers.joined(separator: ","), "intensity-refresh": duration(k.refreshSeconds),
            "intensity-forecast-ttl": duration(k.forecastTTLSeconds), "intensity-timeout": duration(k.timeoutSeconds),
            "intensity-backoff-base": duration(k.backoffBaseSeconds), "intensity-backoff-cap": duration(k.backoffCapSeconds),
            "electricitymaps-url": maskedURL(k.electricityMapsURL), "electricitymaps-token-file": k.electricityMapsTokenFile,
            "watttime-url": maskedURL(k.wattTimeURL), "watttime-username": k.wattTimeUsername,
            "watttime-password-file": k.wattTimePasswordFile, "uk-carbon-intensity-url": maskedURL(k.ukCarbonIntensityURL),
            "uk-carbon-intensity-region": k.ukCarbonIntensityRegion.map(String.init),
            "carbon-aware-sdk-url": k.carbonAwareSDKURL.map(maskedURL), "carbon-aware-sdk-kind": k.carbonAwareSDKKind.rawValue,
            "intensity-file": k.file, "intensity-file-format": k.fileFormat?.rawValue, "intensity-file-kind": k.fileKind.rawValue,
            "admin-group": a.adminGroup, "max-queued-jobs-per-user": a.maxQueuedJobsPerUser.map(String.init),
            "max-cores-per-job": a.maxCoresPerJob.map(String.init), "max-gpus-per-job": a.maxGPUsPerJob.map(String.init),
            "max-deadline": a.maxDeadlineSeconds.map(duration),
            "slurm-conf": c.slurmConf, "slurm-poll-interval": duration(c.slurmPollIntervalSeconds),
            "slurm-node-energy": String(c.slurmNodeEnergy),
            "capacity-cores": c.capacity.cores.map(number), "capacity-memory-gib": c.capacity.memoryGiB.map(number),
            "capacity-gpus": c.capacity.gpus.map(String.init), "max-concurrent-jobs": c.capacity.maxConcurrentJobs.map(String.init),
        ]
        // A key added to DaemonConfiguration.keys without a rendering here shows as "(not rendered)"
        // rather than vanishing; ConfigurationDumpTests checks that none does.
        return DaemonConfiguration.keys.map { key in (key, table[key] ?? "(not rendered)") }
    }
}

extension ConfigurationDump {
    /// `verdantd --dump-config`: the entries as a JSON list on stdout.
    static func printJSON(arguments: [String]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(try entries(arguments: arguments, environment: ProcessInfo.processInfo.environment))
        print(String(decoding: data, as: UTF8.self))
    }
}
