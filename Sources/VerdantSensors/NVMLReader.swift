import CVerdantSensors
import Foundation
import VerdantCore

/// NVIDIA GPUs through NVML, loaded at run time with `dlopen` (no link-time dependency on the driver).
///
/// Energy from `nvmlDeviceGetTotalEnergyConsumption` (mJ since driver load, Volta and later) where
/// supported; else power from `nvmlDeviceGetPowerUsage` (mW), which the caller integrates over time
/// and must label as integrated.
public final class NVMLReader: Sendable {
    /// One GPU's reading.
    public struct GPUReading: Sendable, Hashable {
        public let index: Int
        public let name: String
        /// Cumulative energy, or `nil` when the GPU does not support the counter.
        public let energy: EnergyJoules?
        /// Power now, or `nil` when it cannot be read.
        public let power: PowerWatts?
    }

    /// Number of GPUs.
    public let deviceCount: Int

    /// Loads `library` (default `libnvidia-ml.so.1`).
    /// - Throws: `SensorError` naming the library when it is absent or NVML cannot start.
    public init(library: String = "libnvidia-ml.so.1") throws {
        var message = [CChar](repeating: 0, count: 512)
        guard verdant_nvml_load(library, &message, message.count) == 0 else {
            throw SensorError(path: library, errno: 0, message: "NVML unavailable: " + String(cString: message))
        }
        var count: UInt32 = 0
        let rc = verdant_nvml_device_count(&count)
        guard rc == 0 else { throw SensorError(path: library, errno: 0, message: "nvmlDeviceGetCount_v2 returned \(rc)") }
        deviceCount = Int(count)
    }

    /// Reads every GPU now.
    public func read() -> [GPUReading] {
        (0..<deviceCount).map { i in
            var mj: UInt64 = 0
            var mw: UInt32 = 0
            var name = [CChar](repeating: 0, count: 96)
            let e = verdant_nvml_total_energy_mj(UInt32(i), &mj) == 0 ? EnergyJoules(Double(mj) / 1000) : nil
            let p = verdant_nvml_power_mw(UInt32(i), &mw) == 0 ? PowerWatts(Double(mw) / 1000) : nil
            _ = verdant_nvml_name(UInt32(i), &name, UInt32(name.count))
            return GPUReading(index: i, name: String(cString: name), energy: e, power: p)
        }
    }
}
