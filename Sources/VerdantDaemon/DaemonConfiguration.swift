import Foundation
import VerdantCore

/// Everything `verdantd` can be told, with its defaults. Each key is documented in
/// docs/configuration.md and has a command-line option of the same name that overrides the file.
///
/// Layers, lowest first: built-in defaults < the configuration file (`--config`), or the embedded
/// default configuration when no file is given < command-line options.
public struct DaemonConfiguration: Sendable, Equatable {
    /// Folder for the database, job logs and the API socket (`state-dir`).
    public var stateDirectory: String = "./verdant-state"
    /// CSV trace of grid intensity (`intensity-trace`); `nil` = only `static-intensity`.
    public var intensityTrace: String?
    /// Grid zone name stored with the trace's points (`intensity-zone`); default: the trace's value column header.
    public var intensityZone: String?
    /// Trace seconds per real second (`replay-speed`); 0 = no replay, the trace's times are taken as they are.
    public var replaySpeed: Double = 0
    /// Trace time at which replay starts (`replay-start`); default: the first point of the trace.
    /// A restart on the same state folder and trace continues where the previous run left off instead.
    public var replayStart: Date?
    /// Fallback intensity where no trace point applies (`static-intensity`, gCO2eq/kWh). Default 480:
    /// world average of 2023 (Ember, Global Electricity Review 2024).
    public var staticIntensity: Double = 480
    /// Root of the powercap tree (`powercap-root`).
    public var powercapRoot: String = "/sys/class/powercap"
    /// The perf_event `power` PMU's folder (`perf-power-root`); empty turns perf off.
    public var perfPowerRoot: String = "/sys/bus/event_source/devices/power"
    /// Root of procfs (`proc-root`).
    public var procRoot: String = "/proc"
    /// Root of the cgroup mounts (`cgroup-root`).
    public var cgroupRoot: String = "/sys/fs/cgroup"
    /// Sampler period (`sample-interval`, s).
    public var sampleIntervalSeconds: Double = 1
    /// How often buffered samples are written (`flush-interval`, s).
    public var flushIntervalSeconds: Double = 5
    /// Scheduling policy file (`policy`); `nil` = the built-in copy of Policies/default.yaml.
    public var policyFile: String?
    /// Power with every CPU busy for the estimate (`estimate-max-watts`); `nil` = the CPU's TDP from
    /// CodeCarbon's table, else 85 W.
    public var estimateMaxWatts: Double?
    /// Power with every CPU idle for the estimate (`estimate-idle-watts`).
    public var estimateIdleWatts: Double = 0
    /// `trace`, `debug`, `info`, `notice`, `warning`, `error` (`log-level`).
    public var logLevel: String = "info"
    /// How jobs run (`executor`): `auto` = `systemd` (transient units over sd-bus) when the host runs
    /// systemd (`sd_booted`), else `cgroup` (child processes in cgroups); or `systemd` / `cgroup` outright.
    public var executor: String = "auto"
    /// Debug switch (`debug-stall-file`): when this file appears, the sampler deletes it and stalls for
    /// good (no samples, no watchdog pings), as a wedged sensor read would; for testing the watchdog.
    public var debugStallFile: String?
    /// Debug switch (`debug-hung-component`): runs a component that ignores shutdown and cancellation,
    /// for testing that shutdown stays bounded.
    public var debugHungComponent: Bool = false
    /// Seconds the service group waits for components to finish after SIGTERM before cancelling them
    /// (`shutdown-grace`), then as long again for cancelled ones before exiting anyway. Keep twice it
    /// plus the jobs' stop time below the unit's `TimeoutStopSec=`.
    public var shutdownGraceSeconds: Double = 10
    /// The grid-intensity provider chain (issue 4; keys in `IntensityChainConfiguration.keys`).
    public var intensityChain = IntensityChainConfiguration()
    /// Admin group and per-user limits (issue 10; keys in `AccessConfiguration.keys`).
    public var access = AccessConfiguration()
    /// The node's capacity for the planner (issue 6; keys in `CapacityConfiguration.keys`).
    public var capacity = CapacityConfiguration()
    /// How long raw energy samples and per-tick job intervals are kept (`raw-retention`, s); minute
    /// and hour rollups are kept for good. Default 7 days.
    public var rawRetentionSeconds: Double = 7 * 86400
    /// Loopback `HOST:PORT` serving Prometheus `/metrics` (`metrics-address`); `nil` = off.
    public var metricsAddress: String?
    /// File rewritten every 15 s for node_exporter's textfile collector (`metrics-textfile`, ends in `.prom`); `nil` = off.
    public var metricsTextfile: String?
    /// How often the forecast model is retrained (`forecast-retrain-interval`, s of daemon time). Default 24 h.
    public var forecastRetrainSeconds: Double = 86400
    /// The cluster's configuration (`slurm-conf`, given to the clients as `SLURM_CONF`); `nil` =
    /// `SLURM_CONF` from verdantd's environment, else the clients' default `/etc/slurm/slurm.conf`.
    public var slurmConf: String?
    /// How often Slurm jobs are polled with `squeue`/`sacct`, and waiting ones resubmitted
    /// (`slurm-poll-interval`, s). Default 5 s: one `squeue --json` per poll is light on slurmctld.
    public var slurmPollIntervalSeconds: Double = 5
    /// On a compute node: split the node's energy among the Slurm jobs running here through the
    /// cgroups Slurm's cgroup plugin creates under `cgroup-root` (`slurm-node-energy`, default off;
    /// docs/slurm.md, "Energy").
    public var slurmNodeEnergy = false
    /// The executors `executor` accepts: `slurm` hands every job to a Slurm cluster at submission
    /// with `sbatch --begin` (docs/slurm.md).
    public static let executors = ["auto", "systemd", "cgroup", "slurm"]

    /// Every key the file accepts.
    public static let keys = ["state-dir", "intensity-trace", "intensity-zone", "replay-speed", "replay-start",
                              "static-intensity", "powercap-root", "perf-power-root", "proc-root", "cgroup-root", "sample-interval",
                              "flush-interval", "policy", "estimate-max-watts", "estimate-idle-watts", "log-level",
                              "executor", "debug-stall-file", "debug-hung-component", "shutdown-grace",
                              "raw-retention", "metrics-address", "metrics-textfile", "forecast-retrain-interval",
                              "slurm-conf", "slurm-poll-interval", "slurm-node-energy"]
        + IntensityChainConfiguration.keys + AccessConfiguration.keys + CapacityConfiguration.keys

    public init() {}

    /// The configuration `verdantd` uses when started without `--config`: state in `./verdant-state`,
    /// replay of the bundled ENTSO-E trace of Germany, June 2020, at one trace hour per 10 real seconds.
    public static let embeddedDefault = """
        # verdantd's embedded default configuration (verdant config dump shows the effective values)
        state-dir: ./verdant-state
        intensity-trace: bundled:de-2020-06_entsoe_15min.csv
        intensity-zone: DE
        replay-speed: 360
        sample-interval: 1s
        flush-interval: 5s
        """

    /// Applies a YAML file's values over `self`.
    /// - Throws: `ConfigurationError` naming the file and line of an unknown key or bad value.
    public mutating func apply(yaml text: String, file: String) throws {
        let f = try YAMLFields(text: text, file: file)
        try f.rejectUnknown(Self.keys, what: "configuration")
        if let v = try f.string("state-dir") { stateDirectory = v }
        if let v = try f.string("intensity-trace") { intensityTrace = v.isEmpty ? nil : v }
        if let v = try f.string("intensity-zone") { intensityZone = v }
        if let v = try f.double("replay-speed") {
            guard v >= 0 else { throw ConfigurationError(file: file, line: f.line("replay-speed"), message: "'replay-speed' must be 0 (off) or positive, got \(v)") }
            replaySpeed = v
        }
        if let v = try f.string("replay-start") {
            guard let d = ISO8601.parse(v) else {
                throw ConfigurationError(file: file, line: f.line("replay-start"), message: "'replay-start' must be an ISO-8601 instant, got '\(v)'")
            }
            replayStart = d
        }
        if let v = try f.double("static-intensity") {
            guard v >= 0 else { throw ConfigurationError(file: file, line: f.line("static-intensity"), message: "'static-intensity' must not be negative (gCO2eq/kWh), got \(v)") }
            staticIntensity = v
        }
        if let v = try f.string("powercap-root") { powercapRoot = v }
        if let v = try f.string("perf-power-root") { perfPowerRoot = v }
        if let v = try f.string("proc-root") { procRoot = v }
        if let v = try f.string("cgroup-root") { cgroupRoot = v }
        if let v = try f.seconds("sample-interval") { sampleIntervalSeconds = v }
        if let v = try f.seconds("flush-interval") { flushIntervalSeconds = v }
        if let v = try f.string("policy") { policyFile = v }
        if let v = try f.double("estimate-max-watts") { estimateMaxWatts = v }
        if let v = try f.double("estimate-idle-watts") { estimateIdleWatts = v }
        if let v = try f.seconds("forecast-retrain-interval") {
            guard v >= 60 else { throw ConfigurationError(file: file, line: f.line("forecast-retrain-interval"), message: "'forecast-retrain-interval' must be at least 1m (e.g. 24h)") }
            forecastRetrainSeconds = v
        }
        if let v = try f.string("log-level") {
            guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(v) else {
                throw ConfigurationError(file: file, line: f.line("log-level"), message: "'log-level' must be one of trace, debug, info, notice, warning, error, critical")
            }
            logLevel = v
        }
        if let v = try f.string("executor") {
            guard Self.executors.contains(v) else {
                throw ConfigurationError(file: file, line: f.line("executor"), message: "'executor' must be auto, systemd, cgroup or slurm, got '\(v)'")
            }
            executor = v
        }
        if let v = try f.string("debug-stall-file") { debugStallFile = v.isEmpty ? nil : v }
        if let v = try f.string("debug-hung-component") {
            guard let b = Bool(v) else {
                throw ConfigurationError(file: file, line: f.line("debug-hung-component"), message: "'debug-hung-component' must be true or false")
            }
            debugHungComponent = b
        }
        if let v = try f.seconds("shutdown-grace") { shutdownGraceSeconds = v }
        if let v = try f.seconds("raw-retention") {
            guard v >= 3600 else { throw ConfigurationError(file: file, line: f.line("raw-retention"), message: "'raw-retention' must be at least 1h (e.g. 7d)") }
            rawRetentionSeconds = v
        }
        if let v = try f.string("metrics-address") {
            guard v.isEmpty || Self.isLoopbackAddress(v) else {
                throw ConfigurationError(file: file, line: f.line("metrics-address"), message: "'metrics-address' must be a loopback HOST:PORT such as 127.0.0.1:9464 or [::1]:9464, got '\(v)'")
            }
            metricsAddress = v.isEmpty ? nil : v
        }
        if let v = try f.string("metrics-textfile") {
            guard v.isEmpty || v.hasSuffix(".prom") else {
                throw ConfigurationError(file: file, line: f.line("metrics-textfile"), message: "'metrics-textfile' must end in .prom (node_exporter reads only those), got '\(v)'")
            }
            metricsTextfile = v.isEmpty ? nil : v
        }
        if let v = try f.string("slurm-conf") { slurmConf = v.isEmpty ? nil : v }
        if let v = try f.seconds("slurm-poll-interval") {
            guard v > 0 else { throw ConfigurationError(file: file, line: f.line("slurm-poll-interval"), message: "'slurm-poll-interval' must be positive, e.g. 5s") }
            slurmPollIntervalSeconds = v
        }
        if let v = try f.string("slurm-node-energy") {
            guard let b = Bool(v) else {
                throw ConfigurationError(file: file, line: f.line("slurm-node-energy"), message: "'slurm-node-energy' must be true or false, got '\(v)'")
            }
            slurmNodeEnergy = b
        }
        try Self.applyIntensityChain(f, file: file, into: &intensityChain)
        try access.apply(f, file: file)
        try capacity.apply(f, file: file)
    }
}

extension DaemonConfiguration {
    /// Whether `HOST:PORT` names a loopback address: `127.0.0.0/8`, `::1` or `localhost`, with a port.
    public static func isLoopbackAddress(_ s: String) -> Bool {
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (0...65535).contains(port) else { return false }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host == "::1" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}
