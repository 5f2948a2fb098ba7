import ArgumentParser
import Foundation
import VerdantCore

/// The node's capacity the planner keeps every instant of a plan within (issue 6). Keys in the
/// configuration file: `capacity-cores`, `capacity-memory-gib`, `capacity-gpus`, `max-concurrent-jobs`;
/// each is also a `verdantd` option of the same name. Unset = no limit on that resource, except GPUs:
/// unset = the GPUs NVML finds. A policy's `reservations` are subtracted (`SchedulingPolicy.available`).
public struct CapacityConfiguration: Sendable, Equatable {
    /// CPU cores jobs may use at once (`capacity-cores`); a job takes its `--cores` (default 1).
    public var cores: Double?
    /// Memory jobs may use at once, GiB (`capacity-memory-gib`); a job takes its `--memory` (0 when none).
    public var memoryGiB: Double?
    /// GPUs jobs may use at once (`capacity-gpus`).
    public var gpus: Int?
    /// Jobs running at once, paused interruptible jobs included (`max-concurrent-jobs`).
    public var maxConcurrentJobs: Int?

    /// The file keys.
    public static let keys = ["capacity-cores", "capacity-memory-gib", "capacity-gpus", "max-concurrent-jobs"]

    public init() {}

    /// The planner's view of the node.
    /// - Parameter detectedGPUs: the GPUs found (NVML), used when `capacity-gpus` is unset.
    public func nodeCapacity(detectedGPUs: Int) -> NodeCapacity {
        NodeCapacity(cores: cores ?? .infinity, memoryBytes: memoryGiB.map { $0 * 1_073_741_824 } ?? .infinity,
                     gpus: gpus ?? detectedGPUs, maxConcurrentJobs: maxConcurrentJobs ?? Int.max / 2)
    }

    /// Reads the capacity keys of a configuration file.
    /// - Throws: `ConfigurationError` naming the file, line and key of a bad value.
    mutating func apply(_ f: YAMLFields, file: String) throws {
        for key in ["capacity-cores", "capacity-memory-gib"] {
            if let v = try f.double(key) {
                guard v > 0, v.isFinite else { throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be a number above 0, got \(v)") }
                if key == "capacity-cores" { cores = v } else { memoryGiB = v }
            }
        }
        for key in ["capacity-gpus", "max-concurrent-jobs"] {
            guard let s = try f.string(key) else { continue }
            guard let n = Int(s), n >= (key == "capacity-gpus" ? 0 : 1) else {
                throw ConfigurationError(file: file, line: f.line(key), message: "'\(key)' must be a whole number \(key == "capacity-gpus" ? "0" : "1") or more, got '\(s)'")
            }
            if key == "capacity-gpus" { gpus = n } else { maxConcurrentJobs = n }
        }
    }
}

/// `verdantd` options for the capacity keys (override the file).
struct CapacityOptions: ParsableArguments {
    @Option(name: .customLong("capacity-cores"), help: "CPU cores jobs may use at once (default: no limit).")
    var cores: Double?
    @Option(name: .customLong("capacity-memory-gib"), help: "Memory jobs may use at once, GiB (default: no limit).")
    var memoryGiB: Double?
    @Option(name: .customLong("capacity-gpus"), help: "GPUs jobs may use at once (default: those NVML finds).")
    var gpus: Int?
    @Option(name: .customLong("max-concurrent-jobs"), help: "Jobs running at once (default: no limit).")
    var maxConcurrentJobs: Int?

    func apply(to c: inout DaemonConfiguration) throws {
        if let v = cores { guard v > 0 else { throw ValidationError("--capacity-cores must be above 0, got \(v)") }; c.capacity.cores = v }
        if let v = memoryGiB { guard v > 0 else { throw ValidationError("--capacity-memory-gib must be above 0, got \(v)") }; c.capacity.memoryGiB = v }
        if let v = gpus { guard v >= 0 else { throw ValidationError("--capacity-gpus must be 0 or more, got \(v)") }; c.capacity.gpus = v }
        if let v = maxConcurrentJobs { guard v >= 1 else { throw ValidationError("--max-concurrent-jobs must be 1 or more, got \(v)") }; c.capacity.maxConcurrentJobs = v }
    }
}
