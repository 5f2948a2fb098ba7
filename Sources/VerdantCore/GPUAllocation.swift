import Foundation

/// Which GPU (by NVML index) is held by which job. A job that asks for N GPUs gets the N lowest free
/// indices for its whole life, exposed to it as `CUDA_VISIBLE_DEVICES` (CUDA C Programming Guide,
/// "CUDA Environment Variables": a comma-separated list of device indices), and releases them at exit.
public struct GPUAllocator: Sendable, Hashable {
    /// GPUs on the node (indices 0..<count).
    public let count: Int
    /// GPU index → job id.
    public private(set) var owners: [Int: Int64] = [:]

    public init(count: Int) {
        self.count = max(count, 0)
    }

    /// Free indices, ascending.
    public var free: [Int] { (0..<count).filter { owners[$0] == nil } }

    /// Whether a job asking for `n` GPUs can ever run here.
    public func canEverSatisfy(_ n: Int) -> Bool { n >= 0 && n <= count }

    /// Assigns the `n` lowest free GPUs to `job`.
    /// - Returns: the indices (empty for `n == 0`), or `nil` when fewer than `n` are free (the job waits).
    public mutating func assign(job: Int64, count n: Int) -> [Int]? {
        guard n > 0 else { return [] }
        let f = free
        guard f.count >= n else { return nil }
        let chosen = Array(f.prefix(n))
        for i in chosen { owners[i] = job }
        return chosen
    }

    /// Marks `indices` as held by `job` (a job found running at restart).
    public mutating func hold(job: Int64, indices: [Int]) {
        for i in indices where i >= 0 && i < count { owners[i] = job }
    }

    /// Frees every GPU `job` holds.
    public mutating func release(job: Int64) {
        owners = owners.filter { $0.value != job }
    }

    /// The GPUs `job` holds, ascending.
    public func indices(of job: Int64) -> [Int] { owners.filter { $0.value == job }.map(\.key).sorted() }

    /// `CUDA_VISIBLE_DEVICES=0,2` for `[0, 2]`.
    public static func environmentEntry(_ indices: [Int]) -> String {
        "CUDA_VISIBLE_DEVICES=" + indices.map(String.init).joined(separator: ",")
    }

    /// `environment` with `CUDA_VISIBLE_DEVICES` set to `indices` (any value the submitter gave is
    /// replaced: the job may only see the GPUs it holds).
    public static func environment(_ environment: [String], withGPUs indices: [Int]) -> [String] {
        environment.filter { !$0.hasPrefix("CUDA_VISIBLE_DEVICES=") } + [environmentEntry(indices)]
    }
}

/// A job's GPU energy: the sum over its GPUs of each GPU's cumulative energy counter
/// (`nvmlDeviceGetTotalEnergyConsumption`) at its end minus at its start.
public enum GPUEnergyAccounting {
    /// - Parameters:
    ///   - start: cumulative energy per GPU index at the job's start.
    ///   - end: the same at its end.
    ///   - indices: the job's GPUs.
    /// - Returns: joules, or `nil` when a GPU lacks a reading at either end or its counter went
    ///   backwards (driver reload): never a partial sum shown as the whole.
    public static func energy(start: [Int: EnergyJoules], end: [Int: EnergyJoules], indices: [Int]) -> EnergyJoules? {
        var total = EnergyJoules.zero
        for i in indices {
            guard let a = start[i], let b = end[i], b.joules >= a.joules else { return nil }
            total = total + EnergyJoules(b.joules - a.joules)
        }
        return total
    }
}

/// The node's GPUs: how many, and each one's cumulative energy now. Adapters: NVML (`NVMLGPUs`);
/// tests use a fake inventory.
public protocol GPUSource: Sendable {
    /// GPUs on the node.
    var gpuCount: Int { get }
    /// Cumulative energy per GPU index now; GPUs without an energy counter are absent.
    func cumulativeEnergy() -> [Int: EnergyJoules]
}
