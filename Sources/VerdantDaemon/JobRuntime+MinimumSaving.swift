import Foundation
import Logging
import VerdantCore
import VerdantStore

/// The policy's `min-saving` across a daemon restart (issue 6). The planner makes the test only at a
/// job's first plan (a deferred job is not pulled back to "now" as its window comes closer). The
/// runtime remembers the previous plans in memory only, so the decision is also kept in the store
/// (`job_min_saving_decisions`): a new daemon's first plan does not make the test again for a job the
/// earlier daemon deferred.
extension JobRuntime {
    /// Queued jobs being planned without a plan in memory whose test the store says was made.
    func minimumSavingDecided(queued: [PlannerJob], previous: [Int64: SlotPlan]) -> Set<Int64> {
        guard queued.contains(where: { previous[$0.id] == nil }) else { return [] }
        do {
            return try parts.database.minimumSavingDecidedQueuedJobs()
        } catch {
            log.error("cannot read the min-saving decisions; the test is made again for jobs planned first by an earlier daemon",
                      metadata: ["error": "\(error)"])
            return []
        }
    }

    /// Stores the decision for jobs planned for the first time (no previous plan, none stored) that
    /// were deferred rather than run now for a small saving.
    func recordMinimumSavingDecisions(_ plans: [SlotPlan], decided: Set<Int64>, previous: [Int64: SlotPlan], at now: Date) {
        let ids = plans.filter { previous[$0.jobID] == nil && !decided.contains($0.jobID) && $0.reason != .belowMinimumSaving }.map(\.jobID)
        do {
            try parts.database.recordMinimumSavingDecided(jobIDs: ids, at: now)
        } catch {
            log.error("cannot store the min-saving decisions; a restart may make the test again", metadata: ["error": "\(error)"])
        }
    }
}
