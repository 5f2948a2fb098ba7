import Foundation
import VerdantCore

/// The node's energy sensor: powercap zones where any can be read, else CPU time for the estimate.
///
/// Either way every reading carries `/proc/stat` CPU time, which attribution needs.
public struct NodeSensor: NodeReadingSource {
    private let powercap: PowercapReader
    private let zones: [PowercapReader.Zone]
    private let procStat: ProcStatReader
    private let model: LinearCPUPowerModel
    /// Problems met while discovering zones (for logs and status).
    public let problems: [String]

    /// Discovers the zones under `powercapRoot` once.
    /// - Parameters:
    ///   - powercapRoot: default `/sys/class/powercap`.
    ///   - procRoot: default `/proc`.
    ///   - model: the estimate used when no zone is readable.
    public init(powercapRoot: String, procRoot: String = "/proc", model: LinearCPUPowerModel) {
        powercap = PowercapReader(root: powercapRoot)
        let (z, p) = powercap.discover()
        zones = z
        problems = p
        procStat = ProcStatReader(procRoot: procRoot)
        self.model = model
    }

    public var energySource: EnergySource { zones.isEmpty ? .estimated : .measured }

    public var sensorNames: [String] {
        if zones.isEmpty {
            return ["cpu-estimate (\(model.name): \(model.idlePower.watts) W idle, \(model.maxPower.watts) W all CPUs busy)"]
        }
        return zones.map { "\($0.id) \($0.name)" }
    }

    public func read() throws -> NodeReading {
        let t = monotonicNanos()
        let cpu = try procStat.read()
        let readings = zones.isEmpty ? [] : try powercap.read(zones)
        return NodeReading(monotonicNanos: t, cpu: cpu, zones: readings)
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
            guard !name.isEmpty, let tdp = Double(line[line.index(after: comma)...].trimmingCharacters(in: .whitespaces)), tdp > 0 else { continue }
            if model.contains(" " + name + " "), name.count > (best?.0.count ?? 0) { best = (name, tdp) }
        }
        return best.map { PowerWatts($0.1) }
    }

    private static func normalize(_ s: String) -> String {
        var t = s.lowercased()
        for junk in ["(r)", "(tm)", "®", "™", ","] { t = t.replacingOccurrences(of: junk, with: " ") }
        if let at = t.range(of: "@") { t = String(t[..<at.lowerBound]) }
        return t.split(separator: " ").filter { $0 != "cpu" && $0 != "processor" }.joined(separator: " ")
    }
}
