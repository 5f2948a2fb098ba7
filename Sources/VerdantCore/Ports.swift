/// Ports: the small protocols the runtime uses to reach the outside world. Adapters implement them;
/// the core defines them so it never depends on an adapter.

/// Takes node readings (powercap counters or CPU time) on demand. Implementations must be cheap
/// enough to call at every sampler tick and at every job start and end.
public protocol NodeReadingSource: Sendable {
    /// Reads the counters now.
    /// - Throws: when not even `/proc/stat` can be read.
    func read() throws -> NodeReading
    /// The energy source of the readings: `.measured` when powercap zones are read, else `.estimated`.
    var energySource: EnergySource { get }
    /// Human-readable list of what is sampled, e.g. `["intel-rapl:0 package-0", ...]` or
    /// `["cpu-estimate linear 85 W"]`.
    var sensorNames: [String] { get }
    /// Vendor and zone power bounds, for the energy arithmetic.
    var profile: NodeProfile { get }
    /// Every source and its state, with the fix when unavailable.
    var sourceStatuses: [SourceStatus] { get }
}
