/// GPUs of jobs found still running when verdantd restarts (after `kill -9`, a crash, a power-cut
/// of the daemon only): they keep their GPUs, so the new allocator must count them as held before any
/// queued job is given one.
extension GPUAllocator {
    /// Marks the GPUs of a re-adopted `job` that asked for `n` GPUs as held by it.
    ///
    /// `recorded` is what the store says it was given (`job_gpu_indices`); used when it is `n` distinct
    /// indices of this node, all free. Otherwise (a job started by a verdantd from before the record,
    /// a node whose GPU count shrank, or a clash) the lowest free indices up to `n` are held instead:
    /// which GPUs it uses is then unknown, but the count in use stays right, so no queued job is given
    /// more GPUs than are free.
    /// - Returns: the indices now held by `job`, ascending (fewer than `n` when fewer were free).
    public mutating func holdRecovered(job: Int64, recorded: [Int]?, count n: Int) -> [Int] {
        guard n > 0 else { return [] }
        if let recorded, recorded.count == n, Set(recorded).count == n,
           recorded.allSatisfy({ $0 >= 0 && $0 < count && owners[$0] == nil }) {
            hold(job: job, indices: recorded)
            return recorded.sorted()
        }
        return assign(job: job, count: min(n, free.count)) ?? []
    }
}
