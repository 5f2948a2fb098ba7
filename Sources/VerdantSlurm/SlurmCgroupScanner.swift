import Foundation
import VerdantCore
import VerdantKernelFiles

/// One Slurm job's cgroup on this node, as Slurm's cgroup plugin made it.
public struct SlurmJobCgroup: Sendable, Hashable {
    /// Slurm's job id (`job_<id>`).
    public var jobID: Int64
    /// The job's user (`uid_<uid>`, cgroup v1 only; `nil` under v2, whose path has no uid).
    public var uid: UInt32?
    /// The job's cgroup folder (`…/job_<id>`).
    public var path: String
    /// 1 (`cgroup/v1`: `cpuacct.usage`) or 2 (`cgroup/v2`: `cpu.stat`).
    public var version: Int

    public init(jobID: Int64, uid: UInt32?, path: String, version: Int) {
        self.jobID = jobID
        self.uid = uid
        self.path = path
        self.version = version
    }
}

/// Finds the Slurm jobs running on this node through the cgroups Slurm's cgroup plugin creates
/// (`ProctrackType=proctrack/cgroup`, or `JobAcctGatherType=jobacct_gather/cgroup`; Slurm 22.05
/// "Control Group in Slurm" and cgroup_v2 guides), and reads their CPU time:
/// - cgroup v1: `<root>/cpuacct/slurm[_<node>]/uid_<uid>/job_<id>` (`slurm_<node>` when slurmd is
///   built with `--enable-multiple-slurmd`, as Debian's is), CPU time in `cpuacct.usage` (ns);
/// - cgroup v2: `<root>/system.slice/[<node>_]slurmstepd.scope/job_<id>`, or the scope directly
///   under `<root>` (slurmd started outside systemd), CPU time in `cpu.stat` `usage_usec`.
/// A job that ended between the scan and the read simply has no reading (its folder is gone).
public enum SlurmCgroupScanner {
    /// Every Slurm job cgroup under `root` (both layouts; v2 also under `<root>/unified` on hybrid
    /// hosts), by job id. Unreadable or absent folders give no entry, never an error.
    public static func scan(root: String = "/sys/fs/cgroup") -> [Int64: SlurmJobCgroup] {
        var found: [Int64: SlurmJobCgroup] = [:]
        let fm = FileManager.default
        func children(_ dir: String) -> [String] { ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() }
        // v1
        let cpuacct = root + "/cpuacct"
        for top in children(cpuacct) where top == "slurm" || top.hasPrefix("slurm_") {
            for user in children(cpuacct + "/" + top) where user.hasPrefix("uid_") {
                guard let uid = UInt32(user.dropFirst(4)) else { continue }
                for job in children(cpuacct + "/" + top + "/" + user) {
                    guard job.hasPrefix("job_"), let id = Int64(job.dropFirst(4)) else { continue }
                    found[id] = SlurmJobCgroup(jobID: id, uid: uid, path: "\(cpuacct)/\(top)/\(user)/\(job)", version: 1)
                }
            }
        }
        // v2
        for base in [root, root + "/unified"] {
            for parent in [base + "/system.slice", base] {
                for scope in children(parent) where scope == "slurmstepd.scope" || scope.hasSuffix("_slurmstepd.scope") {
                    for job in children(parent + "/" + scope) {
                        guard job.hasPrefix("job_"), let id = Int64(job.dropFirst(4)), found[id] == nil else { continue }
                        found[id] = SlurmJobCgroup(jobID: id, uid: nil, path: "\(parent)/\(scope)/\(job)", version: 2)
                    }
                }
            }
        }
        return found
    }

    /// The job's CPU time so far (s): v1 `cpuacct.usage` / 1e9, v2 `cpu.stat` `usage_usec` / 1e6
    /// (kernel Documentation/admin-guide/cgroup-v1/cpuacct.rst and cgroup-v2.rst); `nil` when the
    /// file cannot be read or parsed (the job ended).
    public static func cpuSeconds(_ c: SlurmJobCgroup) -> Double? {
        let file = c.path + (c.version == 1 ? "/cpuacct.usage" : "/cpu.stat")
        guard let text = KernelFile.readText(file) else { return nil }
        return c.version == 1 ? CgroupCPUStat.secondsFromV1Usage(text) : CgroupCPUStat.secondsFromV2CPUStat(text)
    }
}
