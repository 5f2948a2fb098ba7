import Foundation
import Logging
import VerdantCore
import VerdantStore

/// A checkpoint-mode job queued again at a daemon shutdown is planned for the work it has left
/// (issue 6; `ResumedWork`): its predicted duration less the run time of its stored intervals, never
/// below the floor. Its latest start follows (deadline − remaining − margin), its predicted carbon is
/// that of the remaining run, its run intervals are followed for that much work, and while it runs
/// again the capacity is reserved until its resume plus the remaining duration.
extension JobRuntime {
    /// The remaining duration (s) of every queued job that resumes from a shutdown checkpoint, by id.
    /// A job whose intervals cannot be read is planned for its whole predicted duration (logged).
    func resumedRemainingSeconds(queued: [Job]) -> [Int64: Double] {
        var out: [Int64: Double] = [:]
        for job in queued where resumesFromShutdownCheckpoint(job) {
            guard let id = job.id else { continue }
            do {
                let done = ResumedWork.runSeconds(try parts.database.intervals(jobID: id).map { ($0.startAt, $0.endAt) })
                out[id] = ResumedWork.remainingSeconds(predictedSeconds: job.expectedDurationSeconds, doneSeconds: done)
            } catch {
                log.error("cannot read a resumed job's intervals; it is planned for its whole predicted duration",
                          metadata: ["job.id": "\(id)", "error": "\(error)"])
            }
        }
        return out
    }

    /// The duration (s) a job is planned and followed for: the remaining one for a resumed job, else its prediction.
    func plannedDurationSeconds(_ job: Job) -> Double {
        job.id.flatMap { scheduling.resumedRemaining[$0] } ?? job.expectedDurationSeconds
    }
}
