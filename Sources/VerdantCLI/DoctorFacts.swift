import Foundation
import VerdantAPI
import VerdantClient
import VerdantCore
import VerdantExecutor
import VerdantSensors
import VerdantStore
#if canImport(Glibc)
import Glibc
#endif

/// Gathers `verdant doctor`'s facts from this machine (files, syscalls) and from the daemon's API.
/// The rules that judge them are pure (`DoctorRules` in VerdantCore); the roots are options so
/// tests can point them at a temporary tree.
struct DoctorFactsGatherer {
    var powercapRoot = "/sys/class/powercap"
    var perfPowerRoot = "/sys/bus/event_source/devices/power"
    var procRoot = "/proc"
    var cgroupRoot = "/sys/fs/cgroup"
    var unitFolders = ["/etc/systemd/system", "/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system"]

    /// Energy counters and the estimate's basis (the same choice verdantd makes, `EstimateModelChoice`).
    func energy() -> EnergyFacts {
        let cpuModel = ProcStatReader(procRoot: procRoot).cpuModelName()
        let table = Model.EvalPower.bundledTablePath().flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
        let choice = EstimateModelChoice.choose(maxWatts: nil, idleWatts: 0, cpuModel: cpuModel, tdpTable: table)
        let sensor = NodeSensor(powercapRoot: powercapRoot, perfPowerRoot: perfPowerRoot.isEmpty ? nil : perfPowerRoot,
                                procRoot: procRoot, model: choice.model, cpufreqRoot: nil)
        let paranoid = (try? String(contentsOfFile: procRoot + "/sys/kernel/perf_event_paranoid", encoding: .utf8))
            .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        let gpus = (try? NVMLReader()).map { $0.deviceCount }
        return EnergyFacts(sources: sensor.sourceStatuses, perfEventParanoid: paranoid, isRoot: geteuid() == 0,
                           nvmlGPUCount: gpus, cpuModelName: cpuModel, estimateModel: choice.model.name,
                           tdpFromTable: choice.tdpFromTable)
    }

    /// cgroup mounts from mountinfo, the v2 controllers from `cgroup.controllers`, and whether the
    /// executor's parent folder (`CgroupLayout`) is writable.
    func cgroup() -> CgroupFacts {
        let text = (try? String(contentsOfFile: procRoot + "/self/mountinfo", encoding: .utf8)) ?? ""
        let parsed = CgroupMountinfo.parse(text)
        let v2 = parsed.v2.map { m in
            CgroupMount(path: m.path, controllers: ((try? String(contentsOfFile: m.path + "/cgroup.controllers", encoding: .utf8)) ?? "")
                .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
        }
        let layout = CgroupLayout.detect(root: cgroupRoot)
        var writable = false
        if let parent = layout?.parentDirectory {
            writable = access(parent, W_OK) == 0 || (access(parent, F_OK) != 0 && access((parent as NSString).deletingLastPathComponent, W_OK) == 0)
        }
        return CgroupFacts(v2Mounts: v2, v1Mounts: parsed.v1, parentWritable: writable, parentDirectory: layout?.parentDirectory)
    }

    /// PID 1's name, Verdant's unit files, and `systemctl is-active verdantd.service` under systemd.
    func systemd() -> SystemdFacts {
        let pid1 = ((try? String(contentsOfFile: procRoot + "/1/comm", encoding: .utf8)) ?? "unknown")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var units: [String: String?] = [:]
        for unit in ["verdantd.service", "verdantd.socket"] {
            units[unit] = .some(unitFolders.map { $0 + "/" + unit }.first { FileManager.default.fileExists(atPath: $0) })
        }
        var active: String?
        if pid1 == "systemd" { active = Self.run("/bin/systemctl", ["is-active", "verdantd.service"]) }
        return SystemdFacts(pid1Name: pid1, unitPaths: units, serviceActiveState: active)
    }

    /// Mode, owner, free space and writability of the state folder (`stat(2)`, `statvfs(3)`).
    func stateFolder(_ path: String) -> StateFolderFacts {
        var st = stat()
        guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            return StateFolderFacts(path: path, exists: false, mode: nil, ownerUID: nil, freeBytes: nil, writable: false)
        }
        var vfs = statvfs()
        let free: UInt64? = statvfs(path, &vfs) == 0 ? UInt64(vfs.f_bavail) * UInt64(vfs.f_frsize) : nil
        return StateFolderFacts(path: path, exists: true, mode: UInt16(st.st_mode & 0o7777), ownerUID: st.st_uid,
                                freeBytes: free, writable: access(path, W_OK) == 0)
    }

    /// `PRAGMA quick_check` on the database, opened read-only.
    func database(stateDirectory: String) -> DatabaseFacts {
        let path = stateDirectory + "/verdant.sqlite"
        guard FileManager.default.fileExists(atPath: path) else {
            return DatabaseFacts(path: path, exists: false, sizeBytes: nil, quickCheck: nil, openError: nil)
        }
        do {
            return DatabaseFacts(path: path, exists: true, sizeBytes: DatabaseHealth.sizeBytes(path: path),
                                 quickCheck: try DatabaseHealth.quickCheck(path: path), openError: nil)
        } catch {
            return DatabaseFacts(path: path, exists: true, sizeBytes: DatabaseHealth.sizeBytes(path: path), quickCheck: nil, openError: "\(error)")
        }
    }

    /// `adjtimex(2)` with `modes = 0` (read only).
    func clock() -> ClockFacts? {
        guard let c = ClockDiscipline.read() else { return nil }
        return ClockFacts(state: c.state, unsyncFlag: (c.status & 0x0040) != 0, maxErrorMicroseconds: c.maxErrorMicroseconds)
    }

    /// Runs a command, returning its trimmed stdout (`nil` when it cannot start).
    static func run(_ path: String, _ args: [String]) -> String? {
        guard FileManager.default.isExecutableFile(atPath: path) else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
