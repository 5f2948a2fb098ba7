import Foundation
import VerdantSlurm

/// The project's single-node Slurm (scripts/slurm-sandbox: munged, slurmctld and slurmd from
/// Debian's packages on 127.0.0.1, state under `prefix`). `scripts/test` brings it up before the
/// tests and purges it after; `up()` here is idempotent, so a filtered `swift test` works alone.
/// Needs root and `scripts/install-deps` (slurmctld, slurmd, slurm-client, munge).
enum SlurmSandbox {
    static let prefix = ProcessInfo.processInfo.environment["SLURM_CI_PREFIX"] ?? "/var/tmp/verdant-slurm-sandbox"
    static var conf: String { prefix + "/etc/slurm.conf" }
    static var script: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/slurm-sandbox").path
    }

    /// Whether the sandbox runs jobs under Slurm's cgroup plugin (`proctrack/cgroup`, `cgroup/v1`):
    /// as scripts/slurm-sandbox decides, `SLURM_CI_CGROUP` = `v1`, or `auto` (the default) where the
    /// cgroup v1 freezer and cpuacct hierarchies are mounted; `none` turns it off.
    static var cgroupMode: Bool {
        switch ProcessInfo.processInfo.environment["SLURM_CI_CGROUP"] ?? "auto" {
        case "v1": return true
        case "auto", "": return FileManager.default.fileExists(atPath: "/sys/fs/cgroup/freezer/tasks")
            && FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cpuacct/tasks")
        default: return false
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Runs `scripts/slurm-sandbox <command>`.
    /// - Throws: `Failure` with its output when it exits non-zero.
    @discardableResult
    static func run(_ command: String) throws -> String {
        try shell(script, [command])
    }

    /// Runs a program with the sandbox's `SLURM_CONF`; returns stdout + stderr.
    @discardableResult
    static func shell(_ exe: String, _ args: [String], check: Bool = true) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe.hasPrefix("/") ? exe : "/usr/bin/\(exe)")
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        env["SLURM_CI_PREFIX"] = prefix
        env["SLURM_CONF"] = conf
        p.environment = env
        // Output through a file, not a pipe: the daemons `up` starts inherit the descriptor and
        // would hold a pipe open for their whole life (a read to its end would never return).
        let outPath = NSTemporaryDirectory() + "verdant-slurm-\(UUID().uuidString).out"
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              let out = FileHandle(forWritingAtPath: outPath) else {
            throw Failure(description: "cannot create \(outPath) for the output of \(exe)")
        }
        defer { try? FileManager.default.removeItem(atPath: outPath) }
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? out.close()
        let text = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        if check, p.terminationStatus != 0 {
            throw Failure(description: "\(exe) \(args.joined(separator: " ")) exited \(p.terminationStatus): \(text)")
        }
        return text
    }

    /// Brings the cluster up (or finds it up) with slurmctld running; returns a client for it.
    static func up() throws -> SlurmCLI {
        try run("up")
        try run("start-ctld")
        return SlurmCLI(configuration: conf)
    }
}
