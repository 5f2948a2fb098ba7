import Foundation
import VerdantCore

/// Where the report's jobs ran (executor `slurm`, issue 9), as the table and CSV show it. Pure.
///
/// - Table, `--by job`: a Slurm job's key is `<id>@<slurm job id>` (`<id>@-` when Slurm never had the
///   job), and a legend line names the cluster: `ID@N: Slurm job N on cluster ci`. The compact key
///   keeps the 80-column table without a column of its own (`ci/4123` in a column would cost at
///   least 10 columns the numbers need). Local jobs keep their plain id.
/// - Table, other groupings: a legend line counts the jobs that ran on each cluster.
/// - HTML: the jobs table's last column, `where`: `local` or `ci/4123`.
/// - CSV, `--by job`: columns `cluster` and `slurm_job_id` close each line, empty for local jobs
///   and for the `TOTAL` line (and `slurm_job_id` empty when Slurm never had the job).
enum ReportPlacement {
    /// The CSV columns `--by job` appends after every other column.
    static let csvColumns = ["cluster", "slurm_job_id"]

    /// The table's key cell of a job row: `7` for a local job, `7@4123` for Slurm job 4123, `7@-`
    /// when the job never reached Slurm.
    static func tableKey(_ job: ReportJob) -> String {
        guard let p = job.placement else { return String(job.id) }
        return "\(job.id)@\(p.batchJobID.map(String.init) ?? "-")"
    }

    /// The HTML jobs table's `where` cell: `local`, or `<cluster>/<slurm job id>` (`<cluster>/-`
    /// when the job never reached Slurm), as `verdant jobs` shows it.
    static func whereCell(_ job: ReportJob) -> String {
        guard let p = job.placement else { return "local" }
        return "\(p.cluster)/\(p.batchJobID.map(String.init) ?? "-")"
    }

    /// The legend line under the table, `nil` when every job ran locally.
    /// - `--by job`: `ID@N: Slurm job N on cluster ci.` (several clusters: `ID@N: Slurm job N;
    ///   cluster a: job 7, 9; cluster b: job 8.`), and `ID@-: never reached Slurm.` when one did not.
    /// - otherwise: `Slurm: 2 of 5 jobs ran on cluster ci.` (several: `on clusters a (1), b (1)`).
    static func legend(_ r: EnergyReport) -> String? {
        let placed = r.jobs.filter { $0.placement != nil }
        guard !placed.isEmpty else { return nil }
        var byCluster: [String: [Int64]] = [:]
        for j in placed { byCluster[j.placement!.cluster, default: []].append(j.id) }
        let clusters = byCluster.keys.sorted()
        if r.by == .job {
            var s = "ID@N: Slurm job N"
            if clusters.count == 1 {
                s += " on cluster \(clusters[0])."
            } else {
                s += "; " + clusters.map { c in "cluster \(c): job " + byCluster[c]!.map(String.init).joined(separator: ", ") }
                    .joined(separator: "; ") + "."
            }
            if placed.contains(where: { $0.placement?.batchJobID == nil }) { s += " ID@-: never reached Slurm." }
            return s
        }
        let on = clusters.count == 1 ? "cluster \(clusters[0])"
            : "clusters " + clusters.map { "\($0) (\(byCluster[$0]!.count))" }.joined(separator: ", ")
        return "Slurm: \(placed.count) of \(r.jobs.count) jobs ran on \(on)."
    }
}
