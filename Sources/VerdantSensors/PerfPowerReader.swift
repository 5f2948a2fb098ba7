import CVerdantSensors
import Foundation
import VerdantCore
#if canImport(Glibc)
import Glibc
#endif

/// Reads RAPL through perf_event's `power` PMU (`/sys/bus/event_source/devices/power`), the
/// preferred source: the kernel accumulates the 32-bit MSR into a 64-bit count, so there is no wrap.
///
/// Events `energy-pkg`, `energy-cores`, `energy-gpu`, `energy-ram`, `energy-psys`, each with a
/// `.scale` (joules per count) and `.unit` file; opened once per package on the CPUs of `cpumask`.
/// Readings are presented as zones `perf-power:<package>` (`package-N`) with sub-zones `:0` core,
/// `:1` gpu, `:2` dram, and `perf-power:100` for psys, so `HostEnergyRule` applies unchanged.
public final class PerfPowerReader: Sendable {
    struct Counter: Sendable {
        let fd: Int32
        let id: PowercapZoneID
        let name: String
        let joulesPerCount: Double
    }

    private let counters: [Counter]

    /// Opens every event the PMU has.
    /// - Throws: `SensorError` when the PMU is absent (no folder), its files cannot be parsed, or
    ///   `perf_event_open` is refused (errno EACCES/EPERM: needs CAP_PERFMON or
    ///   `kernel.perf_event_paranoid` ≤ 0).
    public init(root: String) throws {
        guard FileManager.default.fileExists(atPath: root + "/type") else {
            throw SensorError(path: root, errno: ENOENT, message: "no perf_event power PMU (VM, or a CPU/kernel without RAPL perf events)")
        }
        guard let type = UInt32(try SysfsFile.read(root + "/type").trimmingCharacters(in: .whitespaces)) else {
            throw SensorError(path: root + "/type", errno: 0, message: "not a PMU type number")
        }
        let cpus = PerfPowerSysfs.cpuList(try SysfsFile.read(root + "/cpumask"))
        let events: [(file: String, sub: Int?, name: String)] = [
            ("energy-pkg", nil, "package"), ("energy-cores", 0, "core"), ("energy-gpu", 1, "gpu"),
            ("energy-ram", 2, "dram"), ("energy-psys", nil, "psys"),
        ]
        var opened: [Counter] = []
        for ev in events {
            let path = root + "/events/" + ev.file
            guard FileManager.default.fileExists(atPath: path) else { continue }
            guard let config = PerfPowerSysfs.eventConfig(try SysfsFile.read(path)),
                  let scale = Double(try SysfsFile.read(path + ".scale").trimmingCharacters(in: .whitespaces)) else {
                throw SensorError(path: path, errno: 0, message: "cannot parse the event or its .scale")
            }
            for (package, cpu) in cpus.enumerated() {
                if ev.file == "energy-psys" && package > 0 { break }
                let idText = ev.file == "energy-psys" ? "perf-power:100"
                    : "perf-power:\(package)" + (ev.sub.map { ":\($0)" } ?? "")
                let name = ev.file == "energy-pkg" ? "package-\(package)" : ev.name
                var err: Int32 = 0
                let fd = verdant_perf_open(type, config, Int32(cpu), &err)
                guard fd >= 0 else {
                    for c in opened { close(c.fd) }
                    let hint = (err == EACCES || err == EPERM)
                        ? "permission: needs CAP_PERFMON or kernel.perf_event_paranoid <= 0" : String(cString: strerror(err))
                    throw SensorError(path: path, errno: err, message: "perf_event_open on CPU \(cpu) failed: \(hint)")
                }
                opened.append(Counter(fd: fd, id: PowercapZoneID(directoryName: idText)!, name: name, joulesPerCount: scale))
            }
        }
        guard !opened.isEmpty else {
            throw SensorError(path: root + "/events", errno: ENOENT, message: "the power PMU has no energy-* events")
        }
        counters = opened
    }

    /// Zones read through perf, e.g. `perf-power:0 package-0`.
    public var zoneNames: [String] { counters.map { "\($0.id) \($0.name)" } }

    /// Reads every counter now, as zone readings in µJ (range 0: the count does not wrap).
    /// - Throws: `SensorError` when a read fails.
    public func read() throws -> [PowercapZoneReading] {
        try counters.map { c in
            var v: UInt64 = 0
            guard verdant_perf_read(c.fd, &v) == 0 else {
                throw SensorError(path: "perf fd \(c.fd) (\(c.id))", errno: errno, message: "read failed")
            }
            return PowercapZoneReading(id: c.id, name: c.name,
                                       energyMicrojoules: UInt64((Double(v) * c.joulesPerCount * 1e6).rounded()),
                                       maxEnergyRangeMicrojoules: 0)
        }
    }

    deinit {
        for c in counters { close(c.fd) }
    }
}
