import Foundation
import VerdantCore

/// The node's energy sensor. Sources in order of preference: perf_event's `power` PMU, powercap
/// sysfs, and the CPU-time estimate. Every reading carries `/proc/stat` CPU time, which attribution needs.
///
/// Each source is probed once at start; what is missing is reported in `sourceStatuses` (with the fix)
/// and logged once by the caller, never every tick.
public struct NodeSensor: NodeReadingSource {
    private let perf: PerfPowerReader?
    private let powercap: PowercapReader
    private let zones: [PowercapReader.Zone]
    private let procStat: ProcStatReader
    private let frequency: CPUFrequencyReader?
    private let model: CPUPowerModel
    /// Problems met while probing (for logs).
    public let problems: [String]
    public let sourceStatuses: [SourceStatus]
    public let profile: NodeProfile

    /// Probes the sources.
    /// - Parameters:
    ///   - powercapRoot: default `/sys/class/powercap`.
    ///   - perfPowerRoot: default `/sys/bus/event_source/devices/power`; `nil` skips perf.
    ///   - procRoot: default `/proc`.
    ///   - model: the estimate used when no counter is readable.
    ///   - cpufreqRoot: default `/sys/devices/system/cpu/cpufreq`; `nil` skips the frequency ratio.
    public init(powercapRoot: String, perfPowerRoot: String? = nil, procRoot: String = "/proc", model: CPUPowerModel,
                cpufreqRoot: String? = "/sys/devices/system/cpu/cpufreq") {
        var problems: [String] = []
        var statuses: [SourceStatus] = []
        var perfReader: PerfPowerReader?
        if let root = perfPowerRoot {
            do {
                let r = try PerfPowerReader(root: root)
                perfReader = r
                statuses.append(SourceStatus(name: "perf-power", status: "in use", detail: r.zoneNames.joined(separator: ", ")))
            } catch let e as SensorError {
                let why = e.isPermissionDenied ? "permission" : (e.errno == ENOENT ? "absent" : "error")
                statuses.append(SourceStatus(name: "perf-power", status: "unavailable: \(why)", detail: e.description))
                problems.append("perf power PMU: \(e)")
            } catch {
                statuses.append(SourceStatus(name: "perf-power", status: "unavailable: error", detail: "\(error)"))
            }
        }
        perf = perfReader
        powercap = PowercapReader(root: powercapRoot)
        let (z, p) = powercap.discover()
        problems += p
        let permission = p.contains { $0.contains("permission denied") }
        if !z.isEmpty {
            statuses.append(SourceStatus(name: "powercap", status: perfReader == nil ? "in use" : "available",
                                         detail: z.map { "\($0.id) \($0.name)" }.joined(separator: ", ")))
        } else if permission {
            statuses.append(SourceStatus(name: "powercap", status: "unavailable: permission",
                                         detail: "energy_uj under \(powercapRoot) is readable by root only (CVE-2020-8694): run verdantd as root, or install systemd/verdant-powercap.conf (tmpfiles.d) to let group 'verdant' read it"))
        } else if !FileManager.default.fileExists(atPath: powercapRoot) {
            statuses.append(SourceStatus(name: "powercap", status: "unavailable: absent",
                                         detail: "no \(powercapRoot): a VM or a kernel without intel_rapl/amd RAPL"))
        } else {
            statuses.append(SourceStatus(name: "powercap", status: "unavailable: no zones",
                                         detail: "no readable energy zone under \(powercapRoot)" + (p.isEmpty ? "" : ": " + p.joined(separator: "; "))))
        }
        zones = perfReader == nil ? z : []
        procStat = ProcStatReader(procRoot: procRoot)
        frequency = cpufreqRoot.flatMap { CPUFrequencyReader(root: $0) }
        self.model = model
        let usingEstimate = perfReader == nil && z.isEmpty
        statuses.append(SourceStatus(name: "estimate", status: usingEstimate ? "in use" : "standby",
                                     detail: "\(model.name): \(model.idlePower.watts) W idle, \(model.maxPower.watts) W all CPUs busy"))
        self.problems = problems
        sourceStatuses = statuses
        var bounds: [PowercapZoneID: PowerWatts] = [:]
        for zone in z {
            if let uw = try? SysfsFile.readUInt64(zone.directory + "/constraint_0_max_power_uw"), uw > 0 {
                bounds[zone.id] = PowerWatts(Double(uw) / 1e6)
            }
        }
        profile = NodeProfile(cpuVendorIsAMD: procStat.cpuVendor() == "AuthenticAMD", zoneMaximumPower: bounds)
    }

    public var energySource: EnergySource { perf == nil && zones.isEmpty ? .estimated : .measured }

    /// The sysfs directory of each powercap zone in use (empty when perf or the estimate is used).
    public var zoneDirectories: [PowercapZoneID: String] {
        Dictionary(zones.map { ($0.id, $0.directory) }, uniquingKeysWith: { a, _ in a })
    }

    /// The estimate's model.
    public var estimateModel: CPUPowerModel { model }

    public var sensorNames: [String] {
        if let perf { return perf.zoneNames }
        if zones.isEmpty {
            return ["cpu-estimate (\(model.name): \(model.idlePower.watts) W idle, \(model.maxPower.watts) W all CPUs busy)"]
        }
        return zones.map { "\($0.id) \($0.name)" }
    }

    public func read() throws -> NodeReading {
        let t = monotonicNanos()
        let cpu = try procStat.read()
        // A counter that cannot be read this time (permission changed, driver unloaded) does not fail
        // the reading: the interval is estimated with the model learned here, or has no number.
        var readings: [PowercapZoneReading] = []
        var unreadable = false
        do {
            if let perf { readings = try perf.read() }
            else if !zones.isEmpty { readings = try powercap.read(zones) }
        } catch {
            unreadable = true
        }
        return NodeReading(monotonicNanos: t, cpu: cpu, zones: readings, frequencyRatio: frequency?.ratio(),
                           countersUnreadable: unreadable)
    }
}

/// Looks up a CPU's TDP in CodeCarbon's `cpu_power.csv` (MIT; `Name,TDP` in W).
public enum TDPTable {
    /// The TDP of the longest table name contained in `modelName` as whole words, or `nil`.
    /// Malformed rows (four in the 2026-04-13 table, e.g. `27.29.5`) are skipped.
    public static func lookup(modelName: String, csv: String) -> PowerWatts? {
        let model = " " + normalize(modelName) + " "
        var best: (String, Double)?
        for line in csv.split(separator: "\n").dropFirst() {
            guard let comma = line.lastIndex(of: ",") else { continue }
            let name = normalize(String(line[..<comma]))
            guard !name.isEmpty, let tdp = Double(String(line[line.index(after: comma)...]).trimmingSpacesAndTabs), tdp > 0 else { continue }
            if model.firstRange(of: " " + name + " ") != nil, name.count > (best?.0.count ?? 0) { best = (name, tdp) }
        }
        return best.map { PowerWatts($0.1) }
    }

    private static func normalize(_ s: String) -> String {
        // Standard-library replacing/firstIndex, not Foundation's (NSString search through
        // CoreFoundation, code that then stays resident in verdantd: docs/performance.md, "Memory").
        var t = s.lowercased()
        for junk in ["(r)", "(tm)", "®", "™", ","] { t = t.replacing(junk, with: " ") }
        if let at = t.firstIndex(of: "@") { t = String(t[..<at]) }
        return t.split(separator: " ").filter { $0 != "cpu" && $0 != "processor" }.joined(separator: " ")
    }
}
