/// Physical units used across Verdant. Values cross module boundaries only inside these types,
/// never as bare `Double`s, so a joule can never be read as a kilowatt-hour.

/// An amount of energy in joules (J).
public struct EnergyJoules: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    /// The energy in joules.
    public var joules: Double
    /// Creates an energy of `joules` J.
    public init(_ joules: Double) { self.joules = joules }
    /// Converts a counter value in microjoules (the unit of powercap's `energy_uj`).
    public init(microjoules: UInt64) { self.joules = Double(microjoules) / 1_000_000 }
    /// The energy in kilowatt-hours: 1 kWh = 3.6 × 10⁶ J (SI definition).
    public var kilowattHours: Double { joules / 3_600_000 }
    public static var zero: EnergyJoules { EnergyJoules(0) }
    public static func + (a: Self, b: Self) -> Self { Self(a.joules + b.joules) }
    public static func - (a: Self, b: Self) -> Self { Self(a.joules - b.joules) }
    public static func < (a: Self, b: Self) -> Bool { a.joules < b.joules }
    /// Scales an energy by a dimensionless factor (a CPU-time share, say).
    public static func * (a: Self, factor: Double) -> Self { Self(a.joules * factor) }
    public var description: String { "\(joules) J" }
    public init(from decoder: any Decoder) throws { joules = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(joules) }
}

/// A power in watts (W = J/s).
public struct PowerWatts: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The power in watts.
    public var watts: Double
    /// Creates a power of `watts` W.
    public init(_ watts: Double) { self.watts = watts }
    /// Energy drawn at this power for `seconds` s: E = P × t.
    public func energy(overSeconds seconds: Double) -> EnergyJoules { EnergyJoules(watts * seconds) }
    public static func < (a: Self, b: Self) -> Bool { a.watts < b.watts }
    public var description: String { "\(watts) W" }
    public init(from decoder: any Decoder) throws { watts = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(watts) }
}

/// Grid carbon intensity in grams of CO2-equivalent per kilowatt-hour (gCO2eq/kWh).
public struct IntensityGramsPerKWh: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// The intensity in gCO2eq/kWh.
    public var gramsPerKWh: Double
    /// Creates an intensity of `gramsPerKWh` gCO2eq/kWh.
    public init(_ gramsPerKWh: Double) { self.gramsPerKWh = gramsPerKWh }
    public static func < (a: Self, b: Self) -> Bool { a.gramsPerKWh < b.gramsPerKWh }
    public var description: String { "\(gramsPerKWh) gCO2eq/kWh" }
    public init(from decoder: any Decoder) throws { gramsPerKWh = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(gramsPerKWh) }
}

/// A mass of CO2-equivalent in grams (gCO2eq).
public struct CarbonGrams: Hashable, Comparable, Sendable, Codable, AdditiveArithmetic, CustomStringConvertible {
    /// The mass in grams CO2eq.
    public var grams: Double
    /// Creates a mass of `grams` gCO2eq.
    public init(_ grams: Double) { self.grams = grams }
    /// The carbon of `energy` drawn at `intensity`: g = kWh × gCO2eq/kWh.
    public init(energy: EnergyJoules, intensity: IntensityGramsPerKWh) {
        self.grams = energy.kilowattHours * intensity.gramsPerKWh
    }
    public static var zero: CarbonGrams { CarbonGrams(0) }
    public static func + (a: Self, b: Self) -> Self { Self(a.grams + b.grams) }
    public static func - (a: Self, b: Self) -> Self { Self(a.grams - b.grams) }
    public static func < (a: Self, b: Self) -> Bool { a.grams < b.grams }
    public var description: String { "\(grams) gCO2eq" }
    public init(from decoder: any Decoder) throws { grams = try decoder.singleValueContainer().decode(Double.self) }
    public func encode(to encoder: any Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(grams) }
}

/// Where an energy figure comes from. Stored with every sample and every job so that an estimate is
/// never passed off as a measurement.
public enum EnergySource: String, Sendable, Codable, CaseIterable {
    /// Read from a hardware energy counter (RAPL through powercap).
    case measured
    /// Computed from CPU time with a documented power model (see `CPUPowerModel`).
    case estimated
    /// Nothing could be read or computed; the figure is absent, never zero.
    case unavailable
    /// A job's total over intervals of which some have no number (counter fault, second wrap): the
    /// total is absent (NULL), never the sum of the known part.
    case partial
    /// A job whose start or end reading failed: its energy is absent (NULL).
    case notMeasured = "not_measured"

    /// The source of a sum of intervals: `unavailable` when none has a number, `partial` when some
    /// do and some do not, else `estimated` if any part was estimated, else `measured`. A total whose
    /// source is `unavailable`, `partial` or `not_measured` has no number.
    public static func combined(_ sources: [EnergySource]) -> EnergySource {
        if sources.isEmpty { return .unavailable }
        if sources.contains(.notMeasured) { return .notMeasured }
        let missing = sources.contains { $0 == .unavailable || $0 == .partial }
        let known = sources.contains { $0 == .measured || $0 == .estimated }
        if missing { return known ? .partial : .unavailable }
        return sources.contains(.estimated) ? .estimated : .measured
    }

    /// Whether a figure with this source is a number (`measured` or `estimated`).
    public var hasValue: Bool { self == .measured || self == .estimated }
}
