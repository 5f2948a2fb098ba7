import Foundation
import VerdantCore

/// Reads every powercap zone under a root directory (default `/sys/class/powercap`).
///
/// Accepts both layouts the kernel produces: the flat one of `/sys/class/powercap` (every zone a
/// top-level entry, `intel-rapl:0:0` beside `intel-rapl:0`) and the nested one of
/// `/sys/devices/virtual/powercap/intel-rapl` (sub-zones inside their parent). Only directories whose
/// names parse as zone ids are entered, so `device` and `subsystem` links are never followed and odd
/// names such as `intel-rapl:a` are skipped. Zones reached twice are read once.
public struct PowercapReader: Sendable {
    /// The root directory, e.g. `/sys/class/powercap` or a recorded tree in a test.
    public let root: String

    public init(root: String) { self.root = root }

    /// A zone found under the root, with the directory it is read from.
    public struct Zone: Sendable, Hashable {
        public let id: PowercapZoneID
        public let name: String
        public let directory: String
        public let maxEnergyRangeMicrojoules: UInt64
    }

    /// Finds the zones whose `energy_uj` and `max_energy_range_uj` can be read now.
    /// - Returns: readable zones sorted by id, and the problems met (one line each, for the log and
    ///   `verdant status`): an unreadable zone is no data, never a zero.
    public func discover() -> (zones: [Zone], problems: [String]) {
        var found: [PowercapZoneID: Zone] = [:]
        var problems: [String] = []
        func walk(_ dir: String, depth: Int) {
            guard depth <= 4, let entries = try? FileManager.default.contentsOfDirectory(atPath: dir) else { return }
            for entry in entries.sorted() {
                let path = dir + "/" + entry
                let isControlType = !entry.contains(":") && (entry.hasPrefix("intel-rapl") || entry.hasPrefix("amd-rapl"))
                if isControlType && depth == 0 { walk(path, depth: depth + 1); continue }
                guard let id = PowercapZoneID(directoryName: entry) else { continue }
                if found[id] == nil {
                    do {
                        let name = try SysfsFile.read(path + "/name")
                        let maxRange = try SysfsFile.readUInt64(path + "/max_energy_range_uj")
                        _ = try SysfsFile.readUInt64(path + "/energy_uj")
                        found[id] = Zone(id: id, name: name, directory: path, maxEnergyRangeMicrojoules: maxRange)
                    } catch let e as SensorError {
                        problems.append("zone \(id): \(e)")
                    } catch {
                        problems.append("zone \(id): \(error)")
                    }
                }
                walk(path, depth: depth + 1)
            }
        }
        walk(root, depth: 0)
        return (found.values.sorted { $0.id < $1.id }, problems)
    }

    /// Reads the counters of `zones` now.
    /// - Throws: `SensorError` when any counter cannot be read (the caller treats the whole reading
    ///   as no data, so zones are never summed over a partial set).
    public func read(_ zones: [Zone]) throws -> [PowercapZoneReading] {
        try zones.map { z in
            PowercapZoneReading(id: z.id, name: z.name,
                                energyMicrojoules: try SysfsFile.readUInt64(z.directory + "/energy_uj"),
                                maxEnergyRangeMicrojoules: z.maxEnergyRangeMicrojoules)
        }
    }
}
