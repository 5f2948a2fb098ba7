/// Parses `/proc/self/mountinfo` (proc(5), "/proc/pid/mountinfo") for cgroup mounts.
public enum CgroupMountinfo {
    /// The cgroup mounts of a mountinfo text: cgroup2 mounts (controllers left empty: they are in the
    /// mount's `cgroup.controllers` file) and v1 hierarchies with the controllers named in their super
    /// options (`rw,cpu,cpuacct` → `cpu`, `cpuacct`; `name=systemd` is a named hierarchy, no controller).
    /// Malformed lines are skipped.
    public static func parse(_ text: String) -> (v1: [CgroupMount], v2: [CgroupMount]) {
        var v1: [CgroupMount] = []
        var v2: [CgroupMount] = []
        let known: Set<String> = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "blkio",
                                  "perf_event", "net_prio", "hugetlb", "pids", "rdma", "misc"]
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard let dash = fields.firstIndex(of: "-"), fields.count > dash + 3, fields.count > 4 else { continue }
            let mountPoint = fields[4].replacingOccurrences(of: "\\040", with: " ")
            switch fields[dash + 1] {
            case "cgroup2": v2.append(CgroupMount(path: mountPoint, controllers: []))
            case "cgroup":
                let options = fields[dash + 3].split(separator: ",").map(String.init)
                v1.append(CgroupMount(path: mountPoint, controllers: options.filter { known.contains($0) }))
            default: continue
            }
        }
        return (v1, v2)
    }
}
