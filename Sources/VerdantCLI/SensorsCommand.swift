import ArgumentParser
import Foundation
import VerdantCore
import VerdantSensors

/// `verdant sensors`: reads this machine's energy sources directly (no daemon needed).
struct Sensors: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Energy sources, zones and per-interval joules and watts, read directly from this machine.",
        discussion: "With --json --watch, one JSON object per interval (JSON lines); the keys are documented in docs/cli.md.\nExample: verdant sensors --watch --interval 0.5 --count 2")

    @Option(help: "Root of the powercap tree.") var root = "/sys/class/powercap"
    @Option(name: .customLong("perf-root"), help: "perf_event power PMU folder; empty skips perf.")
    var perfRoot = "/sys/bus/event_source/devices/power"
    @Option(name: .customLong("proc-root"), help: "Root of procfs.") var procRoot = "/proc"
    @Flag(help: "Print JSON (JSON lines with --watch).") var json = false
    @Flag(help: "Sample repeatedly and print each interval.") var watch = false
    @Option(help: "Seconds between samples with --watch.") var interval: Double = 1
    @Option(help: "Number of intervals with --watch.") var count: Int = 5

    func validate() throws {
        guard interval > 0, interval.isFinite else { throw ValidationError("--interval must be a positive number of seconds, got \(interval): use e.g. --interval 1") }
        guard count > 0 else { throw ValidationError("--count must be 1 or more, got \(count)") }
        // A root the user named must exist: a typo must not read as "this machine has no RAPL".
        if root != "/sys/class/powercap", !FileManager.default.fileExists(atPath: root) {
            throw ValidationError("--root \(root) does not exist: give the folder of a powercap tree")
        }
    }

    func run() async throws {
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "linear-cpu-v1 default 85 W")
        let sensor = NodeSensor(powercapRoot: root, perfPowerRoot: perfRoot.isEmpty ? nil : perfRoot, procRoot: procRoot, model: model)
        let nvml = try? NVMLReader()
        let gpuStatus = nvml.map { SourceStatus(name: "nvml", status: "in use", detail: "\($0.deviceCount) GPU(s)") }
            ?? SourceStatus(name: "nvml", status: "unavailable: absent", detail: "libnvidia-ml.so.1 not found: no NVIDIA GPU source")
        let statuses = sensor.sourceStatuses + [gpuStatus]
        if !watch {
            let reading = try sensor.read()
            if json {
                let zones = reading.zones.map { z -> [String: Any] in
                    ["path": sensor.zoneDirectories[z.id] ?? z.id.description, "id": z.id.description, "name": z.name,
                     "socket": z.id.indices.first ?? 0, "energy_uj": z.energyMicrojoules,
                     "max_energy_range_uj": z.maxEnergyRangeMicrojoules]
                }
                try printJSONObject(["sources": statuses.map(Self.statusObject), "zones": zones])
            } else {
                for s in statuses { print("\(s.name): \(s.status)\n    \(s.detail)") }
                for z in reading.zones { print("\(z.id) \(z.name): energy_uj \(z.energyMicrojoules), max_energy_range_uj \(z.maxEnergyRangeMicrojoules)") }
            }
            return
        }
        if !json { for s in statuses { print("\(s.name): \(s.status)") } }
        var previous = try sensor.read()
        for _ in 0..<count {
            try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
            let now = try sensor.read()
            let dt = now.seconds(since: previous)
            let zones = IntervalArithmetic.zoneIntervals(from: previous.zones, to: now.zones, elapsedSeconds: dt,
                                                         maximumPower: sensor.profile.zoneMaximumPower)
            let host = HostEnergyRule.hostEnergy(zones, cpuVendorIsAMD: sensor.profile.cpuVendorIsAMD)
            let gpuW = nvml.map { $0.read().compactMap { $0.power?.watts }.reduce(0, +) }
            let estimated = now.zones.isEmpty
                ? NodeEnergyAccounting.energy(from: previous, to: now, model: model).energy.joules / max(dt, 1e-9) : nil
            func watts(_ e: EnergyJoules?) -> Double? { e.flatMap { IntervalArithmetic.power($0, dt)?.watts } }
            let hostStatus = now.zones.isEmpty ? "unavailable: no counters (estimate only)" : host.status.rawValue
            if json {
                let line: [String: Any] = [
                    "interval_s": dt,
                    "zones": zones.map { z -> [String: Any] in
                        ["path": sensor.zoneDirectories[z.id] ?? z.id.description, "name": z.name,
                         "socket": z.id.indices.first ?? 0, "energy_j": z.energy?.joules ?? NSNull(),
                         "power_w": z.power?.watts ?? NSNull(), "status": z.status.rawValue]
                    },
                    "host": ["cpu_package_w": watts(host.cpuPackage) ?? NSNull(), "dram_w": watts(host.dram) ?? NSNull(),
                             "platform_w": watts(host.platform) ?? NSNull(), "gpu_w": gpuW ?? NSNull(),
                             "estimated_w": estimated ?? NSNull(), "status": hostStatus] as [String: Any],
                ]
                try printJSONObject(line, pretty: false)
            } else {
                func f(_ v: Double?) -> String { v.map { String(format: "%.2f W", $0) } ?? "n/a" }
                print(String(format: "%.3f s: ", dt) + "cpu package \(f(watts(host.cpuPackage))), dram \(f(watts(host.dram))), "
                      + "platform \(f(watts(host.platform))), gpu \(f(gpuW)), estimate \(f(estimated)) [\(hostStatus)]")
            }
            previous = now
        }
    }

    static func statusObject(_ s: SourceStatus) -> [String: Any] { ["name": s.name, "status": s.status, "detail": s.detail] }
}

/// Prints a JSONSerialization object with sorted keys.
func printJSONObject(_ object: Any, pretty: Bool = true) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}
