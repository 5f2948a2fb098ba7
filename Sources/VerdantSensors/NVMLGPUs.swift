import Foundation
import VerdantCore

/// The node's NVIDIA GPUs as a `GPUSource`: cumulative energy from `nvmlDeviceGetTotalEnergyConsumption`
/// (Volta and later). GPUs without that counter are absent from `cumulativeEnergy()`, so a job on them
/// gets no GPU number (its total is `partial`) rather than a guess.
public struct NVMLGPUs: GPUSource {
    let reader: NVMLReader

    public init(reader: NVMLReader) {
        self.reader = reader
    }

    public var gpuCount: Int { reader.deviceCount }

    public func cumulativeEnergy() -> [Int: EnergyJoules] {
        var out: [Int: EnergyJoules] = [:]
        for g in reader.read() { if let e = g.energy { out[g.index] = e } }
        return out
    }
}
