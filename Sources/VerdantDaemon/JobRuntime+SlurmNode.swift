import Foundation
import Logging
import VerdantCore
import VerdantSlurm
import VerdantStore

// MARK: Per-job energy of Slurm jobs on a compute node (issue 9)
//
// With `slurm-node-energy: true`, every sample tick finds the Slurm jobs running on this node through
// the cgroups Slurm's cgroup plugin creates (`SlurmCgroupScanner`), reads each one's CPU time, and
// splits the node's energy of the tick among them with `Attribution.split` (Kepler's ratio model, the
// split local jobs get): a job on a shared node gets its own energy, not the node's. The totals are
// kept in memory, saved to `slurm_node_jobs` at the flush interval, and used as the job's energy when
// this daemon also follows the job as its submitter (a single-node cluster, or a node that submits).

/// What the node side remembers between ticks.
struct SlurmNodeTracker: Sendable {
    /// Each Slurm job's CPU time (s) at the last tick, with its cgroup.
    var lastCPU: [Int64: (cpu: Double, cgroup: SlurmJobCgroup)] = [:]
    /// Totals per Slurm job id (saved at the flush interval).
    var records: [Int64: SlurmNodeJobRecord] = [:]
    /// Records changed since the last save.
    var dirty: Set<Int64> = []
    var lastSaveNanos: UInt64 = 0
}

extension JobRuntime {
    /// One tick of the node side: charges every Slurm job seen at both this tick and the previous one
    /// with its share of the node's energy over the interval.
    /// - Parameters:
    ///   - node: the node's interval since `previous` (nil on the first tick).
    ///   - start: daemon time of the previous reading; `time`: of this one.
    /// The Slurm jobs' cgroups and CPU time now; read before the node's interval is computed, since
    /// their CPU time is a floor on the node's busy time (`NodeEnergyAccounting`).
    func scanSlurmNodeJobs() -> [Int64: (cpu: Double, cgroup: SlurmJobCgroup)] {
        guard let root = parts.slurmCgroupRoot else { return [:] }
        let found = SlurmCgroupScanner.scan(root: root)
        var now: [Int64: (cpu: Double, cgroup: SlurmJobCgroup)] = [:]
        for (id, c) in found {
            if let cpu = SlurmCgroupScanner.cpuSeconds(c) { now[id] = (cpu, c) }
        }
        return now
    }

    /// Σ CPU-seconds since the previous tick of the Slurm jobs seen at both ticks in the same cgroup.
    func slurmDeltasTotal(_ now: [Int64: (cpu: Double, cgroup: SlurmJobCgroup)]) -> Double {
        slurmDeltas(now).values.reduce(0, +)
    }

    private func slurmDeltas(_ now: [Int64: (cpu: Double, cgroup: SlurmJobCgroup)]) -> [Int64: Double] {
        var deltas: [Int64: Double] = [:]
        for (id, n) in now {
            if let before = slurmNode.lastCPU[id], before.cgroup.path == n.cgroup.path {
                deltas[id] = max(0, n.cpu - before.cpu)
            }
        }
        return deltas
    }

    func chargeSlurmNodeJobs(_ now: [Int64: (cpu: Double, cgroup: SlurmJobCgroup)], node: NodeInterval?, nodeBusyCPUSeconds: Double,
                             start: Date?, time: Date, monotonicNanos: UInt64) {
        guard parts.slurmCgroupRoot != nil else { return }
        let deltas = slurmDeltas(now)
        slurmNode.lastCPU = now
        if let node, let start, !deltas.isEmpty {
            let energy = node.energy ?? .zero
            let split = Attribution.split(node: energy, elapsedSeconds: node.seconds,
                                          idlePower: CPUPowerModel.attributionIdlePower(source: node.source, learned: nil, model: parts.model),
                                          jobCPUSeconds: deltas, nodeBusyCPUSeconds: nodeBusyCPUSeconds)
            let intensity = activeSeries.meanIntensity(from: start, to: max(time, start.addingTimeInterval(1e-3)))
            for (id, cpu) in deltas {
                let e = node.energy == nil ? EnergyJoules.zero : split.jobs[id] ?? .zero
                let c = now[id]!.cgroup
                var r = slurmNode.records[id] ?? SlurmNodeJobRecord(slurmJobID: id, uid: c.uid, cgroupPath: c.path, firstSeenAt: start,
                                                                     lastSeenAt: start, energyJoules: 0, cpuSeconds: 0,
                                                                     source: node.source, carbonGrams: 0)
                r.lastSeenAt = time
                r.energyJoules += e.joules
                r.cpuSeconds += cpu
                r.carbonGrams += CarbonGrams(energy: e, intensity: intensity).grams
                r.source = EnergySource.combined([r.source, node.source])
                slurmNode.records[id] = r
                slurmNode.dirty.insert(id)
            }
        }
        saveSlurmNodeJobs(monotonicNanos: monotonicNanos, force: false)
    }

    /// Saves the changed per-job totals, at most every flush interval unless `force`.
    func saveSlurmNodeJobs(monotonicNanos: UInt64, force: Bool) {
        guard !slurmNode.dirty.isEmpty,
              force || Double(monotonicNanos &- slurmNode.lastSaveNanos) / 1e9 >= parts.flushIntervalSeconds else { return }
        let changed = slurmNode.dirty.compactMap { slurmNode.records[$0] }
        do {
            try parts.database.save(slurmNodeJobs: changed)
            slurmNode.dirty.removeAll()
            slurmNode.lastSaveNanos = monotonicNanos
        } catch {
            log.error("saving Slurm jobs' node energy failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    /// This node's per-job energy of a Slurm job (memory first, then the store), if it ran here.
    func slurmNodeEnergy(slurmJobID: Int64) -> SlurmNodeJobRecord? {
        if let r = slurmNode.records[slurmJobID] { return r }
        return (try? parts.database.slurmNodeJobs(ids: [slurmJobID]))?[slurmJobID]
    }
}
