import Foundation
import Logging
import ServiceLifecycle
import VerdantAPI
import VerdantCarbon
import VerdantCore
import VerdantExecutor
import VerdantMetrics
import VerdantSensors
import VerdantServer
import VerdantStore
import VerdantSlurm
import VerdantSystemd
#if canImport(Glibc)
import Glibc
#endif

/// The composition root: the one place that builds concrete adapters and wires them into the runtime.
public enum Daemon {
    /// A start-up failure that must end the daemon with a clear message (bad trace, unusable state folder).
    public struct StartupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens the state, loads the carbon signal and the policy, takes the first sample, then runs the
    /// API, the sampler and the scheduler until SIGTERM or SIGINT.
    /// - Throws: `ConfigurationError`, `TraceFileError` or `StartupError` before anything is served.
    public static func run(configuration c: DaemonConfiguration, logger: Logger) async throws {
        // A SIGTERM during start-up (before the service group handles signals) is remembered, and the
        // daemon exits cleanly right after start-up instead of dying half-way.
        let early = EarlyStop()
        // The command line, the configuration file and the logging set-up are done: their code goes back.
        StartupPageRelease.run(phase: "configured", logger: logger)
        // Socket activation (verdantd.socket): taken before anything starts children, which must not
        // inherit LISTEN_FDS/LISTEN_PID.
        let activated: ActivatedSocket?
        do {
            activated = try SocketActivation.inheritedListeningSocket()
        } catch {
            throw StartupError(description: "\(error)")
        }
        let prepared = try await prepare(configuration: c, logger: logger, handBackPages: true)
        StartupPageRelease.run(phase: "prepared", logger: logger)
        let notifier = SystemdNotifier()
        let runtime = prepared.runtime
        if early.requested {
            notifier.stopping()
            await runtime.shutdown()
            try? prepared.database.close()
            logger.notice("verdantd stopped: SIGTERM/SIGINT arrived during start-up")
            return
        }
        early.cancel()
        let socketPath = (c.stateDirectory as NSString).appendingPathComponent(APIRoutes.socketName)
        if let activated {
            logger.notice("API socket from systemd socket activation", metadata: ["socket": "\(activated.path)", "fd": "\(activated.fileDescriptor)"])
            if activated.path != URL(fileURLWithPath: socketPath).standardizedFileURL.path && activated.path != socketPath {
                logger.warning("the activated socket is not where verdant looks for it: set ListenStream= in verdantd.socket to the state folder's socket",
                               metadata: ["socket": "\(activated.path)", "expected": "\(socketPath)"])
            }
        }
        let trimmer = ResidentMemoryTrimmer(logger: logger)
        let api = APIServer.application(
            socketPath: socketPath, inheritedSocket: activated?.fileDescriptor,
            handler: runtime, logger: logger,
            onRunning: {
                let line = await runtime.statusLine()
                trimmer.markReady()
                notifier.ready(status: line)
                logger.notice("verdantd ready", metadata: ["status": "\(line)"])
            })
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: SamplerService(runtime: runtime, interval: .milliseconds(Int(c.sampleIntervalSeconds * 1000)), notifier: notifier,
                                          stallFile: c.debugStallFile, logger: logger,
                                          trimmer: trimmer)),
            .init(service: SchedulerService(runtime: runtime)),
            .init(service: ReloadService(runtime: runtime, notifier: notifier, reload: {
                try c.policyFile.map { try PolicyFile.load(path: $0) }
                    ?? PolicyFile.parse(BundledResources.defaultPolicyText(), file: "built-in Policies/default.yaml")
            }, logger: logger)),
            .init(service: api),
        ]
        if !c.intensityChain.providers.isEmpty { services.append(.init(service: IntensityService(runtime: runtime))) }
        if c.executor == "slurm" {
            services.append(.init(service: BatchFollowService(runtime: runtime, interval: .milliseconds(Int(c.slurmPollIntervalSeconds * 1000)))))
        }
        if c.debugHungComponent {
            logger.warning("debug: a component that ignores shutdown runs (debug-hung-component)")
            services.append(.init(service: HungComponentService()))
        }
        services.append(.init(service: RollupService(runtime: runtime, retentionSeconds: c.rawRetentionSeconds, intervalSeconds: 60, logger: logger)))
        if let address = c.metricsAddress, let (host, port) = MetricsServer.parseAddress(address) {
            services.append(.init(service: MetricsServer.application(
                host: host, port: port, logger: logger, render: { await runtime.metricsText() },
                onRunning: { p in logger.notice("metrics served", metadata: ["address": "\(host):\(p)"]) })))
        }
        if let path = c.metricsTextfile {
            services.append(.init(service: MetricsTextfileService(runtime: runtime, path: path, intervalSeconds: 15, logger: logger)))
        }
        if let f = await runtime.forecastManager { services.append(.init(service: ForecastService(forecasts: f))) }
        let grace = Duration.milliseconds(Int(c.shutdownGraceSeconds * 1000))
        let database = prepared.database
        services.append(.init(service: ShutdownDeadline(grace: grace, cancelBudget: grace, logger: logger, notifier: notifier, onExpiry: {
            try? database.close()
        })))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        groupConfiguration.maximumGracefulShutdownDuration = grace
        let group = ServiceGroup(configuration: groupConfiguration)
        try await group.run()
        try? database.close()
        logger.notice("verdantd stopped")
    }

    /// Everything up to serving: exposed so tests can drive a runtime without a socket.
    /// `handBackPages`: page out start-up's code once the store and the trace are ready
    /// (`StartupPageRelease`; `verdantd` itself, not tests).
    public static func prepare(configuration c: DaemonConfiguration, logger: Logger, handBackPages: Bool = false) async throws -> (runtime: JobRuntime, database: VerdantDatabase) {
        // Traces and policy first: bad input stops us before anything is written.
        var trace: TraceFile?
        if let t = c.intensityTrace { trace = try TraceFile(path: BundledResources.resolve(t)) }
        let policy = try c.policyFile.map { try PolicyFile.load(path: $0) }
            ?? PolicyFile.parse(BundledResources.defaultPolicyText(), file: "built-in Policies/default.yaml")
        // Intensity providers too (credentials, the file provider's file), before anything is written.
        if !c.intensityChain.providers.isEmpty, c.replaySpeed != 0 {
            throw ConfigurationError(file: "configuration", line: nil, message: "intensity-providers serve the present: set replay-speed 0, or use intensity-trace for a replay")
        }
        let providers = try intensityProviders(configuration: c, zone: c.intensityZone ?? trace?.valueColumn ?? "static")
        do {
            try FileManager.default.createDirectory(atPath: c.stateDirectory + "/logs", withIntermediateDirectories: true)
        } catch {
            throw StartupError(description: "cannot create the state folder \(c.stateDirectory): \(error.localizedDescription); choose another with --state-dir")
        }
        let stateDirectory = URL(fileURLWithPath: c.stateDirectory).standardizedFileURL.path
        let lock = try StateFolderLock(stateDirectory: stateDirectory)

        let db: VerdantDatabase
        do {
            let opened = try VerdantDatabase.open(path: c.stateDirectory + "/verdant.sqlite")
            db = opened.database
            if let r = opened.recovery {
                // Keep running on a new database rather than crash-loop; the old file is kept for forensics.
                logger.error("the database failed its integrity check: moved aside, a new empty database was created",
                             metadata: ["moved_to": "\(r.movedTo)", "problem": "\(r.problem)"])
            }
        } catch {
            throw StartupError(description: "cannot open the database in \(c.stateDirectory): \(error)")
        }

        let zone = c.intensityZone ?? trace?.valueColumn ?? "static"
        var fallback = IntensityGramsPerKWh(c.staticIntensity)
        var intensitySource = "static \(c.staticIntensity) gCO2eq/kWh"
        if trace == nil {
            // Nothing else configured (or providers that may fail): the bundled per-country table.
            (fallback, intensitySource) = staticIntensity(configuration: c, zone: zone)
        }
        var series = IntensitySeries(points: [], fallback: fallback)
        var chain: IntensityChain?
        if !providers.isEmpty {
            chain = IntensityChain(
                providers: providers, database: db, zone: zone,
                refreshSeconds: c.intensityChain.refreshSeconds, ttlSeconds: c.intensityChain.forecastTTLSeconds,
                backoff: BackoffSchedule(baseSeconds: c.intensityChain.backoffBaseSeconds, capSeconds: c.intensityChain.backoffCapSeconds),
                staticValue: fallback, staticLabel: intensitySource, logger: logger)
        }
        if let trace {
            // Also as slots with provenance, so `verdant intensity` shows the trace (v2 table).
            let imported = try? IntensityImport.parse(String(contentsOfFile: trace.path, encoding: .utf8), format: .csv, zone: zone,
                                                      kind: .average, source: trace.sourceName)
            if let imported { try db.store(slots: imported.slots, fetchedAt: Date()) }
            try db.upsert(trace.points.map {
                IntensityPointRecord(zone: zone, time: $0.time, intensity: $0.intensity, source: trace.sourceName, signal: "average")
            })
            series = IntensitySeries(points: try db.intensityPoints(zone: zone, source: trace.sourceName), fallback: fallback)
            intensitySource = trace.sourceName
        }
        if handBackPages { StartupPageRelease.run(phase: "store", logger: logger) }

        var replay: ReplayClock?
        if c.replaySpeed > 0 {
            var anchor = c.replayStart ?? series.points.first?.time ?? Date()
            // A restart continues where the previous run left off, so daemon time never goes backwards
            // over stored jobs; delete the state folder to replay from the start again.
            if try db.meta("replay.source") == intensitySource,
               let s = try db.meta("replay.trace_time"), let resumed = ISO8601.parse(s) {
                anchor = resumed   // continue where the previous run left off
            }
            replay = ReplayClock(anchor: anchor, anchorMonotonicNanos: monotonicNanos(), speed: c.replaySpeed)
        }

        let procStat = ProcStatReader(procRoot: c.procRoot)
        let model = estimateModel(configuration: c, cpuModel: procStat.cpuModelName())
        let sensor = NodeSensor(powercapRoot: c.powercapRoot, perfPowerRoot: c.perfPowerRoot.isEmpty ? nil : c.perfPowerRoot,
                                procRoot: c.procRoot, model: model)
        // Each source's state is logged once here, never every tick.
        for s in sensor.sourceStatuses {
            logger.info("energy source \(s.name): \(s.status)", metadata: ["detail": "\(s.detail)"])
        }
        let executor = try chooseExecutor(configuration: c, stateDirectory: stateDirectory, logger: logger)
        // The power model learned from this host's counters in an earlier run (issue 3), if any.
        let learned: CPUPowerModel?
        do {
            learned = try db.latestPowerModel()
        } catch {
            logger.warning("cannot read the learned power model; learning again", metadata: ["error": "\(error)"])
            learned = nil
        }
        if let learned {
            logger.info("learned power model loaded", metadata: ["model": "\(learned.name)", "mape_pct": "\((learned.fitMAPE ?? 0) * 100)"])
        }
        // NVIDIA GPUs (dlopen of libnvidia-ml.so.1); absent library = no GPU source, one log line.
        var gpus: NVMLGPUs?
        do {
            let reader = try NVMLReader()
            gpus = NVMLGPUs(reader: reader)
            logger.info("energy source nvml: in use", metadata: ["gpus": "\(reader.deviceCount)"])
        } catch {
            logger.info("energy source nvml: unavailable", metadata: ["detail": "\(error)"])
        }
        let clock = DaemonClock(replay: replay)
        let forecasts = IntensityForecastManager(database: db, clock: clock, zone: zone, retrainSeconds: c.forecastRetrainSeconds, logger: logger)
        forecasts.planningDecayHours.withLock { $0 = policy.policy.planner.forecastDecayHours }
        // The chain's third link: the learned model's planning forecast (docs/scheduling.md, "In the daemon").
        await chain?.useForecastManager(forecasts)
        let runtime = JobRuntime(parts: .init(
            database: db, sensor: sensor, model: model, executor: executor,
            clock: clock, series: series, intensitySource: intensitySource,
            intensityZone: zone, policy: policy.policy, defaultDeadlines: policy.deadlines,
            stateDirectory: stateDirectory, flushIntervalSeconds: c.flushIntervalSeconds, logger: logger,
            intensityChain: chain, forecasts: forecasts, stateLock: lock, access: AccessPolicy(configuration: c.access),
            learnedModel: learned, gpus: gpus, capacity: c.capacity.nodeCapacity(detectedGPUs: gpus?.gpuCount ?? 0),
            metrics: c.metricsAddress != nil || c.metricsTextfile != nil ? VerdantMetrics() : nil,
            batch: c.executor == "slurm" ? SlurmCLI(configuration: c.slurmConf) : nil,
            slurmCgroupRoot: c.slurmNodeEnergy ? c.cgroupRoot : nil))
        try await runtime.recoverAfterRestart()
        await runtime.refreshIntensity(fetch: false)   // IntensityService fetches once serving
        guard await runtime.sample() else {
            throw StartupError(description: "the first sample failed: cannot read \(c.procRoot)/stat")
        }
        return (runtime, db)
    }

    /// `executor: auto` takes `systemd` when the host runs systemd and its bus answers, else `cgroup`;
    /// the choice and its reason are logged (and shown by `verdant status`).
    /// - Throws: `StartupError` when `executor: systemd` is asked for and systemd does not answer.
    static func chooseExecutor(configuration c: DaemonConfiguration, stateDirectory: String,
                               logger: Logger) throws -> any JobExecutor {
        // Built only when chosen: its cgroup checks (and their warnings) concern the cgroup executor alone;
        // with the systemd executor, systemd creates the job cgroups.
        func cgroupExecutor() -> ProcessExecutor {
            ProcessExecutor(layout: jobCgroupLayout(configuration: c, logger: logger), instance: stateDirectory)
        }
        if c.executor == "slurm" {
            // Slurm starts the jobs (JobRuntime.batch); the local executor is never asked to launch.
            logger.notice("job executor: slurm (configured)", metadata: ["executor": "slurm", "slurm_conf": "\(c.slurmConf ?? "default")"])
            return cgroupExecutor()
        }
        if c.executor == "cgroup" {
            let cgroup = cgroupExecutor()
            logger.notice("job executor: cgroup (configured)", metadata: ["executor": "cgroup", "cgroup": "\(cgroup.detail)"])
            return cgroup
        }
        let booted = SystemdJobExecutor.hostRunsSystemd
        if !booted {
            if c.executor == "systemd" {
                throw StartupError(description: "executor: systemd, but this host does not run systemd (sd_booted is false); use executor: auto or cgroup")
            }
            let cgroup = cgroupExecutor()
            logger.notice("job executor: cgroup (the host does not run systemd)", metadata: ["executor": "cgroup", "cgroup": "\(cgroup.detail)"])
            return cgroup
        }
        let systemd = SystemdJobExecutor(fallbackFreezer: { unit, pids, freeze in
            // cgroup v1 hosts: systemd cannot freeze units; the v1 freezer hierarchy can.
            try CgroupFreezer.setFrozen(processes: pids, name: unit, frozen: freeze)
        })
        do {
            try systemd.probe()
        } catch {
            if c.executor == "systemd" { throw StartupError(description: "executor: systemd: \(error)") }
            logger.warning("job executor: cgroup (systemd runs but does not answer on the bus)", metadata: ["error": "\(error)"])
            return cgroupExecutor()
        }
        logger.notice("job executor: systemd (the host runs systemd)", metadata: ["executor": "systemd", "slice": "\(systemd.slice)"])
        return systemd
    }

    /// The cgroup hierarchy the cgroup executor puts jobs in, or `nil` (job CPU time then comes from
    /// wait4 rusage) when there is none or verdantd may not create its folder; logged once.
    static func jobCgroupLayout(configuration c: DaemonConfiguration, logger: Logger) -> CgroupLayout? {
        guard let l = CgroupLayout.detect(root: c.cgroupRoot) else {
            logger.warning("no usable cgroup hierarchy; job CPU time will come from wait4 rusage")
            return nil
        }
        if (mkdir(l.parentDirectory, 0o755) != 0 && errno != EEXIST) || access(l.parentDirectory, W_OK) != 0 {
            logger.warning("cannot create job cgroups (run verdantd as root); job CPU time will come from wait4 rusage",
                           metadata: ["cgroup.path": "\(l.parentDirectory)", "errno": "\(errno)"])
            return nil
        }
        return l
    }

    /// The estimate's power model for a node without counters: configured watts (linear, as before),
    /// else the TDP curve (`CPUPowerModel.tdpCurve`) with the CPU's TDP from CodeCarbon's table, else
    /// with CodeCarbon's default TDP of 85 W.
    static func estimateModel(configuration c: DaemonConfiguration, cpuModel: String?) -> CPUPowerModel {
        EstimateModelChoice.choose(maxWatts: c.estimateMaxWatts, idleWatts: c.estimateIdleWatts, cpuModel: cpuModel,
                                   tdpTable: BundledResources.cpuPowerTable()).model
    }
}

/// Files shipped inside the daemon (SwiftPM resources).
enum BundledResources {
    /// Maps `bundled:<name>` to the shipped trace's path; other paths are returned unchanged.
    static func resolve(_ path: String) -> String {
        guard path.hasPrefix("bundled:") else { return path }
        let name = String(path.dropFirst("bundled:".count))
        return Bundle.module.bundleURL.appendingPathComponent("traces/" + name).path
    }

    static func defaultPolicyText() -> String {
        (try? String(contentsOf: Bundle.module.bundleURL.appendingPathComponent("policies/default.yaml"), encoding: .utf8)) ?? ""
    }

    static func cpuPowerTable() -> String {
        (try? String(contentsOf: Bundle.module.bundleURL.appendingPathComponent("reference/cpu_power.csv"), encoding: .utf8)) ?? ""
    }
}

/// Remembers a SIGTERM or SIGINT that arrives before the service group handles them.
final class EarlyStop: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var sources: [DispatchSourceSignal] = []

    init() {
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock(); self.flag = true; self.lock.unlock()
            }
            s.resume()
            sources.append(s)
        }
    }

    var requested: Bool { lock.lock(); defer { lock.unlock() }; return flag }

    /// Hands the signals over to the service group.
    func cancel() { for s in sources { s.cancel() } }
}
