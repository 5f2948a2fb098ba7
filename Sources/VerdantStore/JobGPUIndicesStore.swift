import Foundation
import GRDB

/// The GPU indices each job was given (`GPUAllocator`), so that a restarted verdantd knows which GPUs
/// the jobs it re-adopts still hold.
///
/// Table `job_gpu_indices` (migration "v7-job-gpu-indices"): `job_id` INTEGER PRIMARY KEY (→ `jobs`),
/// `indices` TEXT, the NVML indices comma-separated ascending, as in `CUDA_VISIBLE_DEVICES` (`0,2`).
/// Written before the job is recorded running (write-ahead, `JobRuntime.start`); a start of the job
/// again (a checkpoint resume) replaces it. Kept after the job ends: which GPUs a job used.
extension VerdantDatabase {
    static func registerJobGPUIndices(_ m: inout DatabaseMigrator) {
        m.registerMigration("v7-job-gpu-indices") { db in
            try db.create(table: "job_gpu_indices") { t in
                t.primaryKey("job_id", .integer).references("jobs")
                t.column("indices", .text).notNull()
            }
        }
    }

    /// Records the GPUs `jobID` was given (NVML indices), replacing an earlier record.
    /// - Throws: `DatabaseError` (then nothing is written).
    public func recordGPUIndices(jobID: Int64, indices: [Int]) throws {
        try write { db in
            try db.execute(sql: """
                INSERT INTO job_gpu_indices (job_id, indices) VALUES (?, ?)
                ON CONFLICT(job_id) DO UPDATE SET indices = excluded.indices
                """, arguments: [jobID, indices.map(String.init).joined(separator: ",")])
        }
    }

    /// The GPUs recorded for `jobID`, ascending; `nil` when none was recorded (no GPU, or a job started
    /// by a verdantd from before this table) or the record is not a list of indices.
    /// - Throws: `DatabaseError`.
    public func gpuIndices(jobID: Int64) throws -> [Int]? {
        let text = try pool.read { db in
            try String.fetchOne(db, sql: "SELECT indices FROM job_gpu_indices WHERE job_id = ?", arguments: [jobID])
        }
        guard let text else { return nil }
        if text.isEmpty { return [] }
        let parts = text.split(separator: ",").map { Int($0) }
        guard parts.allSatisfy({ $0 != nil }) else { return nil }
        return parts.map { $0! }.sorted()
    }
}
