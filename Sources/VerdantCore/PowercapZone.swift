/// One powercap zone, as identified by its sysfs directory name (`intel-rapl:0`, `intel-rapl:0:1`,
/// `intel-rapl-mmio:0`). The name encodes the control type and the zone's position in the tree
/// (Documentation/power/powercap/powercap.rst), so zones are keyed by it, never by `name` alone:
/// two sockets both have a `package`-style name and a `core` sub-zone.
public struct PowercapZoneID: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The control type, e.g. `intel-rapl` or `intel-rapl-mmio`.
    public let controlType: String
    /// The zone's indices from the top, e.g. `[0, 1]` for `intel-rapl:0:1`.
    public let indices: [Int]

    /// Parses a sysfs zone directory name; returns `nil` for names that are not zones
    /// (`intel-rapl` itself, `intel-rapl:a`, `power`, `subsystem`).
    public init?(directoryName: String) {
        let parts = directoryName.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 2, !parts[0].isEmpty else { return nil }
        var idx: [Int] = []
        for p in parts.dropFirst() {
            guard !p.isEmpty, p.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(p) else { return nil }
            idx.append(v)
        }
        controlType = String(parts[0])
        indices = idx
    }

    /// The zone this one is a sub-zone of, or `nil` for a top-level zone.
    public var parent: PowercapZoneID? {
        guard indices.count > 1 else { return nil }
        return PowercapZoneID(controlType: controlType, indices: Array(indices.dropLast()))
    }

    private init(controlType: String, indices: [Int]) {
        self.controlType = controlType
        self.indices = indices
    }

    /// The sysfs directory name, e.g. `intel-rapl:0:1`.
    public var description: String { ([controlType] + indices.map(String.init)).joined(separator: ":") }

    public static func < (a: Self, b: Self) -> Bool {
        if a.controlType != b.controlType { return a.controlType < b.controlType }
        return a.indices.lexicographicallyPrecedes(b.indices)
    }

    public init(from decoder: any Decoder) throws {
        let s = try decoder.singleValueContainer().decode(String.self)
        guard let id = PowercapZoneID(directoryName: s) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a powercap zone name: \(s)"))
        }
        self = id
    }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(description) }
}

/// One reading of one zone's counter.
public struct PowercapZoneReading: Hashable, Sendable {
    /// Which zone.
    public let id: PowercapZoneID
    /// The zone's `name` file: `package-0`, `core`, `uncore`, `dram`, `psys`.
    public let name: String
    /// The `energy_uj` counter (µJ).
    public let energyMicrojoules: UInt64
    /// The `max_energy_range_uj` value (µJ), the point at which `energy_uj` wraps to 0.
    public let maxEnergyRangeMicrojoules: UInt64

    public init(id: PowercapZoneID, name: String, energyMicrojoules: UInt64, maxEnergyRangeMicrojoules: UInt64) {
        self.id = id
        self.name = name
        self.energyMicrojoules = energyMicrojoules
        self.maxEnergyRangeMicrojoules = maxEnergyRangeMicrojoules
    }
}
