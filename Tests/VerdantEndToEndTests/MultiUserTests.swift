import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A real Unix user of the multi-user tests (made by scripts/test-users).
struct TestUser {
    let name: String
    let uid: UInt32
    let gid: UInt32

    init(_ name: String) throws {
        guard let pw = getpwnam(name) else { throw HarnessError("no user \(name): run scripts/test-users as root") }
        self.name = name
        uid = pw.pointee.pw_uid
        gid = pw.pointee.pw_gid
    }

    /// Runs `program args` as this user (setpriv: real and effective ids, the account's groups), in `cwd`.
    func run(_ program: String, _ args: [String], cwd: String = "/tmp") throws -> CommandResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--", program] + args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd)
        p.environment = ["PATH": "/usr/bin:/bin", "HOME": "/tmp"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CommandResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func verdant(_ daemon: DaemonProcess, _ args: [String], cwd: String = "/tmp") throws -> CommandResult {
        try run(binDirectory.appendingPathComponent("verdant").path, [args[0], "--state-dir", daemon.stateDirectory.path] + args.dropFirst(), cwd: cwd)
    }

    func json(_ daemon: DaemonProcess, _ args: [String]) throws -> Any {
        let r = try verdant(daemon, args + ["--json"])
        guard r.status == 0 else { throw HarnessError("verdant \(args) as \(name) failed (\(r.status)): \(r.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }
}

/// Creates the test users when run as root (idempotent), so the tests also pass outside .ci/run.
func ensureTestUsers() -> Bool {
    guard getuid() == 0 else { return false }
    let r = try? runProgram(repoRoot.appendingPathComponent("scripts/test-users").path, [])
    return r?.status == 0 && getpwnam("verdant-carol") != nil
}

/// Issue 10, multi-user security, with real users: identity from SO_PEERCRED only, each user sees,
/// shows, cancels and reads only their own jobs, the admin group sees all, per-user limits refuse
/// with the limit's name, and a refused submission writes nothing.
@Suite(.serialized) struct MultiUserTests {
    @Test(.enabled(if: ensureTestUsers(), "needs root to create users and run jobs as them"))
    func usersSeeOnlyTheirOwnJobsAndTheAdminGroupSeesAll() throws {
        let alice = try TestUser("verdant-alice"), bob = try TestUser("verdant-bob"), carol = try TestUser("verdant-carol")
        let root = temporaryDirectory("multiuser")
        chmod(root.path, 0o755)
        // Morning of 2020-06-01 in Germany: with an 8 h deadline the cheapest hour is hours later
        // (solar noon), so such jobs stay queued while the test runs (360 trace s per real s).
        let daemon = try DaemonProcess(stateDirectory: root.appendingPathComponent("s"), args: [
            "--intensity-trace", bundledTrace.path, "--replay-speed", "360", "--replay-start", "2020-06-01T05:00:00Z",
            "--sample-interval", "0.2s", "--admin-group", "verdant-admins", "--max-queued-jobs-per-user", "2",
            "--max-deadline", "12h", "--max-cores-per-job", "4", "--max-gpus-per-job", "0",
        ])
        defer { _ = daemon.terminate() }

        // Alice's job runs as Alice: uid and groups checked from inside the job.
        let a1 = try alice.verdant(daemon, ["submit", "--deadline", "20m", "--expected-duration", "1m", "--", "sh", "-c", "id -u; id -g; echo secret-of-alice"])
        #expect(a1.status == 0, "\(a1.stderr)")
        let a1ID = try #require(Int(a1.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let done = try waitFor(60) { () -> [String: Any]? in
            let j = try alice.json(daemon, ["show", String(a1ID)]) as? [String: Any]
            return (j?["state"] as? String).map { ["succeeded", "failed", "lost"].contains($0) } == true ? j : nil
        }
        let j = try #require(done, "daemon log:\n\(daemon.daemonLog())")
        #expect(j["state"] as? String == "succeeded", "\(j)")
        #expect(j["uid"] as? Int == Int(alice.uid))
        let logPath = try #require(j["log_path"] as? String)
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        #expect(log == "\(alice.uid)\n\(alice.gid)\nsecret-of-alice\n")
        // Alice reads her own log; Bob cannot.
        #expect(try alice.run("/bin/cat", [logPath]).stdout.contains("secret-of-alice"))
        let bobCat = try bob.run("/bin/cat", [logPath])
        #expect(bobCat.status != 0)
        #expect(!bobCat.stdout.contains("secret-of-alice"))

        // Bob: not in his list, not shown, not cancellable.
        let bobList = try #require(try bob.json(daemon, ["jobs"]) as? [[String: Any]])
        #expect(!bobList.contains { $0["id"] as? Int == a1ID })
        let bobShow = try bob.verdant(daemon, ["show", String(a1ID)])
        #expect(bobShow.status != 0)
        #expect(bobShow.stderr.contains("no job \(a1ID)"))
        #expect(!bobShow.stdout.contains("secret"))
        let bobReport = try bob.verdant(daemon, ["report", "--format", "json"])
        #expect(bobReport.status == 0, "\(bobReport.stderr)")
        let bobRows = (try JSONSerialization.jsonObject(with: Data(bobReport.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]]
        #expect(bobRows?.isEmpty == true, "\(bobReport.stdout)")
        let aliceReport = try alice.verdant(daemon, ["report", "--format", "json"])
        let aliceRows = (try JSONSerialization.jsonObject(with: Data(aliceReport.stdout.utf8)) as? [String: Any])?["jobs"] as? [[String: Any]]
        #expect(aliceRows?.map { $0["id"] as? Int } == [a1ID], "\(aliceReport.stdout)")

        // A queued job of Alice's: Bob cannot cancel it; Carol (admin group) sees it; root too.
        let a2 = try alice.verdant(daemon, ["submit", "--deadline", "8h", "--expected-duration", "1h", "--cores", "4", "--", "true"])
        #expect(a2.status == 0, "\(a2.stderr)")
        let a2ID = try #require(Int(a2.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        let bobCancel = try bob.verdant(daemon, ["cancel", String(a2ID)])
        #expect(bobCancel.status != 0)
        let stillQueued = try #require(try daemon.json(["show", String(a2ID)]) as? [String: Any])
        #expect(stillQueued["state"] as? String == "queued", "the 8 h window should plan the job hours ahead: \(stillQueued)")
        let carolList = try #require(try carol.json(daemon, ["jobs"]) as? [[String: Any]])
        #expect(Set(carolList.compactMap { $0["id"] as? Int }).isSuperset(of: [a1ID, a2ID]))
        #expect((try carol.json(daemon, ["show", String(a1ID)]) as? [String: Any])?["uid"] as? Int == Int(alice.uid))
        let rootList = try #require(try daemon.json(["jobs"]) as? [[String: Any]])
        #expect(rootList.count == 2)

        // Limits: each refusal names its limit, and nothing is written.
        let a3 = try alice.verdant(daemon, ["submit", "--deadline", "8h", "--expected-duration", "1h", "--", "true"])
        #expect(a3.status == 0, "\(a3.stderr)")
        let refusals: [([String], String)] = [
            (["submit", "--deadline", "8h", "--expected-duration", "1h", "--", "true"], "max-queued-jobs-per-user"),
        ]
        for (args, needle) in refusals {
            let r = try alice.verdant(daemon, args)
            #expect(r.status != 0)
            #expect(r.stderr.contains(needle) && r.stderr.contains("limit is 2"), "\(r.stderr)")
        }
        for (args, needle) in [
            (["submit", "--deadline", "48h", "--", "true"], "max-deadline"),
            (["submit", "--deadline", "2h", "--cores", "8", "--", "true"], "max-cores-per-job"),
            (["submit", "--deadline", "2h", "--gpus", "1", "--", "true"], "max-gpus-per-job"),
        ] {
            let r = try bob.verdant(daemon, args)
            #expect(r.status != 0)
            #expect(r.stderr.contains(needle), "\(r.stderr)")
        }
        // A working directory Bob may not enter (root's, mode 0700).
        let privateDir = root.appendingPathComponent("private")
        try FileManager.default.createDirectory(at: privateDir, withIntermediateDirectories: true)
        chmod(privateDir.path, 0o700)
        let forgedDir = try bob.run("/usr/bin/curl", curlArgs(daemon, body: #"{"command":["true"],"working_directory":"\#(privateDir.path)","environment":["A=1"]}"#))
        #expect(forgedDir.stdout.contains("may not enter"), "\(forgedDir.stdout)")
        #expect(forgedDir.stdout.hasSuffix("403"), "\(forgedDir.stdout)")
        let dotdot = try bob.run("/usr/bin/curl", curlArgs(daemon, body: #"{"command":["true"],"working_directory":"/tmp/../root","environment":[]}"#))
        #expect(dotdot.stdout.contains("'..'") && dotdot.stdout.hasSuffix("400"), "\(dotdot.stdout)")
        let badEnv = try bob.run("/usr/bin/curl", curlArgs(daemon, body: #"{"command":["true"],"working_directory":"/tmp","environment":["=oops"]}"#))
        #expect(badEnv.stdout.contains("NAME=value") && badEnv.stdout.hasSuffix("400"), "\(badEnv.stdout)")

        // A request forged with another uid (root's, or Alice's) in its body is refused, as Bob.
        for forged in [0, Int(alice.uid)] {
            let r = try bob.run("/usr/bin/curl", curlArgs(daemon, body: #"{"command":["id","-u"],"working_directory":"/tmp","environment":[],"uid":\#(forged)}"#))
            #expect(r.stdout.contains("names uid \(forged) but comes from uid \(bob.uid)"), "\(r.stdout)")
            #expect(r.stdout.hasSuffix("403"), "\(r.stdout)")
        }
        // Nothing of the refusals was written: Alice's 3 jobs and nothing else.
        let after = try #require(try daemon.json(["jobs"]) as? [[String: Any]])
        #expect(after.count == 3)
        #expect(after.allSatisfy { $0["uid"] as? Int == Int(alice.uid) })
        #expect(daemon.terminate() == 0)
    }

    /// curl arguments for a raw `POST /v1/jobs` on the daemon's socket; stdout ends with the status code.
    func curlArgs(_ daemon: DaemonProcess, body: String) -> [String] {
        ["-s", "--unix-socket", daemon.stateDirectory.appendingPathComponent("verdantd.sock").path,
         "-H", "Content-Type: application/json", "-d", body, "-w", "%{http_code}", "http://localhost/v1/jobs"]
    }
}
