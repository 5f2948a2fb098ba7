import Foundation

/// Where Slurm's cgroup plugin puts a job's processes on a compute node (Slurm 22.05, `cgroup/v1`
/// and `cgroup/v2` plugins with `ProctrackType=proctrack/cgroup`; Slurm's cgroup.conf(5) and the
/// "Control Group in Slurm" guide), so that a `verdantd` on the node can read the job's CPU time
/// and attribute the node's energy to it (docs/slurm.md, "Energy").
public enum SlurmCgroupPaths {
    /// The job's cgroup folder in the cgroup v1 `cpuacct` hierarchy:
    /// `<root>/cpuacct/slurm[_<node>]/uid_<uid>/job_<jobid>` (`slurm_<node>` with several slurmd per
    /// host, `--enable-multiple-slurmd`). CPU time: `cpuacct.usage` (ns).
    public static func v1(root: String = "/sys/fs/cgroup", uid: UInt32, jobID: Int64, multipleSlurmdNode: String? = nil) -> String {
        let top = multipleSlurmdNode.map { "slurm_\($0)" } ?? "slurm"
        return "\(root)/cpuacct/\(top)/uid_\(uid)/job_\(jobID)"
    }

    /// The job's cgroup folder under cgroup v2: `<root>/system.slice/[<node>_]slurmstepd.scope/job_<jobid>`.
    /// CPU time: `cpu.stat` `usage_usec`.
    public static func v2(root: String = "/sys/fs/cgroup", jobID: Int64, multipleSlurmdNode: String? = nil) -> String {
        let scope = (multipleSlurmdNode.map { "\($0)_" } ?? "") + "slurmstepd.scope"
        return "\(root)/system.slice/\(scope)/job_\(jobID)"
    }

    /// The Slurm job id of a cgroup folder made by either plugin (`…/job_<id>` or below it, e.g.
    /// `…/job_42/step_batch`), or `nil`.
    public static func jobID(ofCgroup path: String) -> Int64? {
        for part in path.split(separator: "/").reversed() where part.hasPrefix("job_") {
            return Int64(part.dropFirst(4))
        }
        return nil
    }
}
