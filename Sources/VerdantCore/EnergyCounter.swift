/// Wrap-aware arithmetic on cumulative energy counters such as powercap's `energy_uj`.
///
/// The kernel exposes each RAPL domain as a monotonically increasing counter in microjoules that
/// wraps to 0 after `max_energy_range_uj` (Documentation/power/powercap/powercap.rst). A delta must
/// therefore be computed per zone with that zone's own range, never by subtracting sums of zones.
/// Same rule as Kepler's `internal/device/energy_zone.go`.
public enum EnergyCounter {
    /// The energy that accumulated between two readings of one counter, in microjoules.
    ///
    /// When `new < old` the counter is taken to have wrapped exactly once:
    /// delta = (maxRange − old) + new. Readings above `maxRange` cannot come from a healthy counter.
    /// - Parameters:
    ///   - old: the earlier `energy_uj` value (µJ).
    ///   - new: the later `energy_uj` value (µJ).
    ///   - maxRange: the zone's `max_energy_range_uj` (µJ); 0 means unknown.
    /// - Returns: the delta in µJ, or `nil` when the readings are inconsistent (a value above a
    ///   known range, or a backwards step on a counter whose range is unknown): no data, never 0.
    public static func deltaMicrojoules(old: UInt64, new: UInt64, maxRange: UInt64) -> UInt64? {
        if maxRange > 0 && (old > maxRange || new > maxRange) { return nil }
        if new >= old { return new - old }
        guard maxRange > 0 else { return nil }
        return (maxRange - old) + new
    }
}
