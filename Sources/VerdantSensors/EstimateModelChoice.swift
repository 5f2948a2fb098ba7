import Foundation
import VerdantCore

/// Which power model the estimate uses on a node without readable counters (shared by `verdantd`
/// and `verdant doctor`, so both say the same): the configured watts (linear), else the TDP curve
/// (`CPUPowerModel.tdpCurve`) with the CPU's TDP from CodeCarbon's `cpu_power.csv`, else with
/// CodeCarbon's default TDP of 85 W.
public enum EstimateModelChoice {
    /// - Parameters:
    ///   - maxWatts: `estimate-max-watts` (W), `nil` when not configured.
    ///   - idleWatts: `estimate-idle-watts` (W).
    ///   - cpuModel: `/proc/cpuinfo` `model name`.
    ///   - tdpTable: the text of CodeCarbon's `cpu_power.csv` (`Name,TDP`).
    /// - Returns: the model, and whether its TDP was found in the table.
    public static func choose(maxWatts: Double?, idleWatts: Double, cpuModel: String?, tdpTable: String) -> (model: CPUPowerModel, tdpFromTable: Bool) {
        if let w = maxWatts {
            return (CPUPowerModel(idlePower: PowerWatts(idleWatts), maxPower: PowerWatts(w), name: "linear-cpu-v1 configured \(w) W"), false)
        }
        if let m = cpuModel, let tdp = TDPTable.lookup(modelName: m, csv: tdpTable) {
            return (.tdpCurve(tdp: tdp, label: "TDP \(tdp.watts) W (\(m))"), true)
        }
        return (.tdpCurve(tdp: PowerWatts(85), label: "default TDP 85 W (CPU '\(cpuModel ?? "unknown")' not in TDP table)"), false)
    }
}
