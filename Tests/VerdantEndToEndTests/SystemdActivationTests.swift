import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A listening `AF_UNIX` stream socket made by the test, as systemd makes `verdantd.socket`'s
/// (bind, chmod to `SocketMode=0666`, listen).
final class ListeningSocket {
    let path: String
    let fd: Int32

    init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket: errno \(errno)") }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw HarnessError("socket path too long") }
        withUnsafeMutableBytes(of: &addr.sun_path) { buf in
            for (i, b) in bytes.enumerated() { buf[i] = b }
        }
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard rc == 0 else { throw HarnessError("bind \(path): errno \(errno)") }
        chmod(path, 0o666)
        guard listen(fd, 64) == 0 else { throw HarnessError("listen: errno \(errno)") }
    }

    /// The socket file's inode: unchanged as long as nobody unlinked and re-created it.
    static func inode(_ path: String) -> UInt64? {
        var st = stat()
        return stat(path, &st) == 0 ? UInt64(st.st_ino) : nil
    }

    deinit { close(fd) }
}

/// A real `verdantd` started the way systemd starts a socket-activated service (sd_listen_fds(3)):
/// the listening socket as descriptor 3, `LISTEN_FDS=1`, and `LISTEN_PID` set to the daemon's own pid
/// (by a shell that then execs verdantd, keeping its pid), or to `listenPID` when given.
final class SocketActivatedDaemon {
    let pid: pid_t
    let logPath: String

    init(socket: ListeningSocket, stateDirectory: URL, args: [String], listenPID: String? = nil) throws {
        logPath = stateDirectory.path + ".daemon.log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard log >= 0 else { throw HarnessError("open \(logPath): errno \(errno)") }
        defer { close(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, socket.fd, 3)
        posix_spawn_file_actions_adddup2(&actions, log, 1)
        posix_spawn_file_actions_adddup2(&actions, log, 2)
        let script = "export LISTEN_PID=\(listenPID ?? "$$") LISTEN_FDS=1; exec \"$0\" \"$@\""
        let argv = ["/bin/sh", "-c", script, binDirectory.appendingPathComponent("verdantd").path,
                    "--state-dir", stateDirectory.path] + args
        let env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LISTEN_") && $0.key != "NOTIFY_SOCKET" }
            .map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnv = env.map { strdup($0) } + [nil]
        defer { cArgv.forEach { free($0) }; cEnv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/bin/sh", &actions, nil, &cArgv, &cEnv)
        guard rc == 0 else { throw HarnessError("posix_spawn: \(rc)") }
        pid = child
    }

    func log() -> String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    var isRunning: Bool { kill(pid, 0) == 0 && waitpid(pid, nil, WNOHANG) == 0 }

    /// SIGTERM, then the exit status (or -1 when it did not exit within 30 s).
    func terminate() -> Int32 {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<300 {
            let r = waitpid(pid, &status, WNOHANG)
            if r == pid { return (status & 0x7f) == 0 ? (status >> 8) & 0xff : -(status & 0x7f) }
            usleep(100_000)
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return -1
    }
}

/// Issue 7: socket activation and the watchdog's dependence on sampler progress, against real
/// verdantd processes (systemd itself: scripts/test-systemd-integration).
@Suite(.serialized) struct SystemdActivationTests {
    func daemonArgs() -> [String] {
        ["--intensity-trace", bundledTrace.path, "--replay-speed", "3600", "--replay-start", "2020-06-10T00:00:00Z",
         "--powercap-root", "/nonexistent/powercap", "--perf-power-root", "/nonexistent/power", "--sample-interval", "0.2s", "--flush-interval", "1s"]
    }

    func cli(_ state: URL, _ args: [String]) throws -> CommandResult {
        try runTool("verdant", [args[0], "--state-dir", state.path] + args.dropFirst())
    }

    /// Waits until the daemon says it is ready, then until `verdant status` answers on the socket (nil
    /// when not within `seconds`). Not before: a connection to a socket nobody accepts on yet waits
    /// in its backlog until the client gives up.
    func waitUntilServing(_ state: URL, _ daemon: SocketActivatedDaemon, seconds: Double = 60) throws -> Bool? {
        try waitFor(seconds) { () -> Bool? in
            if !daemon.isRunning { return false }
            guard daemon.log().contains("verdantd ready") else { return nil }
            return (try? cli(state, ["status", "--json"]))?.status == 0 ? true : nil
        }
    }

    @Test(.enabled(if: ensureTestUsers(), "needs root to run the CLI as another user"))
    func servesTheAPIOnTheSocketSystemdPassesAndKnowsEachCaller() throws {
        let root = temporaryDirectory("activation")
        chmod(root.path, 0o755)
        let state = root.appendingPathComponent("s")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        chmod(state.path, 0o755)
        let socketPath = state.appendingPathComponent("verdantd.sock").path
        let listener = try ListeningSocket(path: socketPath)
        let inode = try #require(ListeningSocket.inode(socketPath))
        let daemon = try SocketActivatedDaemon(socket: listener, stateDirectory: state, args: daemonArgs())
        defer { _ = daemon.terminate() }
        #expect(try waitUntilServing(state, daemon) == true, "verdantd did not answer on the passed socket:\n\(daemon.log())")
        // Served on our socket: the file is the one we bound (never unlinked and re-created), its mode ours.
        #expect(ListeningSocket.inode(socketPath) == inode)
        var st = stat()
        #expect(stat(socketPath, &st) == 0 && st.st_mode & 0o777 == 0o666)
        #expect(daemon.log().contains("API socket from systemd socket activation"), "\(daemon.log())")
        #expect(daemon.log().contains("socket=\(socketPath)"))

        // SO_PEERCRED still identifies each caller on the inherited socket.
        let alice = try TestUser("verdant-alice")
        let a = try alice.run(binDirectory.appendingPathComponent("verdant").path,
                              ["submit", "--state-dir", state.path, "--deadline", "1h", "--expected-duration", "1m", "--json", "--", "true"])
        #expect(a.status == 0, "\(a.stderr)\n\(daemon.log())")
        let aJob = try #require(try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as? [String: Any], "\(a.stdout)")
        #expect((aJob["uid"] as? NSNumber)?.uint32Value == alice.uid)
        let r = try cli(state, ["submit", "--deadline", "1h", "--expected-duration", "1m", "--json", "--", "true"])
        let rJob = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "\(r.stderr)")
        #expect((rJob["uid"] as? NSNumber)?.uint32Value == 0)
        // Alice sees her job only; root sees both.
        let aliceList = try alice.run(binDirectory.appendingPathComponent("verdant").path, ["jobs", "--state-dir", state.path, "--json"])
        let aliceJobs = try #require(try JSONSerialization.jsonObject(with: Data(aliceList.stdout.utf8)) as? [[String: Any]], "\(aliceList.stderr)")
        #expect(aliceJobs.map { ($0["id"] as? NSNumber)?.intValue } == [(aJob["id"] as? NSNumber)?.intValue])
        let all = try #require(try JSONSerialization.jsonObject(with: Data(try cli(state, ["jobs", "--json"]).stdout.utf8)) as? [[String: Any]])
        #expect(all.count == 2)

        #expect(daemon.terminate() == 0, "\(daemon.log())")
        // systemd keeps the socket: the daemon's exit leaves the file (and our descriptor) in place.
        #expect(ListeningSocket.inode(socketPath) == inode)
    }

    /// `LISTEN_PID` naming another process means the descriptors are not ours (sd_listen_fds(3)):
    /// verdantd creates its own socket instead.
    @Test func ignoresDescriptorsMeantForAnotherProcess() throws {
        let root = temporaryDirectory("activation-other")
        let state = root.appendingPathComponent("s")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let socketPath = state.appendingPathComponent("verdantd.sock").path
        let listener = try ListeningSocket(path: socketPath)
        let inode = try #require(ListeningSocket.inode(socketPath))
        let daemon = try SocketActivatedDaemon(socket: listener, stateDirectory: state, args: daemonArgs(), listenPID: "1")
        defer { _ = daemon.terminate() }
        #expect(try waitUntilServing(state, daemon) == true, "\(daemon.log())")
        #expect(ListeningSocket.inode(socketPath) != inode, "verdantd served a socket meant for another process")
        #expect(!daemon.log().contains("socket activation"), "\(daemon.log())")
        #expect(daemon.terminate() == 0)
    }

    /// `WATCHDOG_PID` naming another process: the watchdog is not ours (sd_watchdog_enabled(3)), no pings.
    @Test func noWatchdogPingsWhenWatchdogPIDIsAnotherProcess() throws {
        let dir = temporaryDirectory("watchdog-pid")
        let notify = try NotifySocket(path: dir.appendingPathComponent("notify.sock").path)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"), args: daemonArgs(),
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "500000", "WATCHDOG_PID": "1"])
        let messages = notify.receiveAll(seconds: 2).map(\.message)
        #expect(!messages.contains { $0.contains("WATCHDOG=1") }, "\(messages)")
        // It did talk to the notify socket meanwhile: READY=1 (buffered since start) and STATUS= lines.
        #expect(messages.contains { $0.contains("READY=1") }, "\(messages)")
        #expect(messages.filter { $0.hasPrefix("STATUS=") }.count >= 1, "\(messages)")
        #expect(daemon.terminate() == 0)
    }

    /// The watchdog (WATCHDOG_USEC=500000, WatchdogSec=500ms): pings come only from sampler progress,
    /// less than 250 ms apart while it samples, and none once the debug switch stalls the sampler, so
    /// systemd would restart the daemon.
    @Test func watchdogPingsStopWhenTheSamplerStalls() throws {
        let dir = temporaryDirectory("watchdog-stall")
        let notify = try NotifySocket(path: dir.appendingPathComponent("notify.sock").path)
        let stall = dir.appendingPathComponent("stall").path
        let config = dir.appendingPathComponent("verdantd.yaml")
        try "debug-stall-file: \(stall)\n".write(to: config, atomically: true, encoding: .utf8)
        let daemon = try DaemonProcess(stateDirectory: dir.appendingPathComponent("state"),
                                       args: ["--config", config.path] + daemonArgs(),
                                       environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "500000"])
        let before = notify.receiveAll(seconds: 3).filter { $0.message.contains("WATCHDOG=1") }.map(\.time)
        #expect(before.count >= 12, "only \(before.count) pings in 3 s")
        let gaps = zip(before.dropFirst(), before).map { $0 - $1 }
        #expect((gaps.max() ?? 1) < 0.25, "largest gap \(gaps.max() ?? -1) s")
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        let stalledAt = Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
        _ = FileManager.default.createFile(atPath: stall, contents: nil)
        let after = notify.receiveAll(seconds: 2).filter { $0.message.contains("WATCHDOG=1") }.map(\.time)
        // The sampler sees the file at its next tick (≤ 125 ms): at most the ping of a sample in flight.
        let late = after.filter { $0 > stalledAt + 0.3 }
        #expect(late.isEmpty, "\(late.count) pings more than 0.3 s after the stall")
        #expect(!FileManager.default.fileExists(atPath: stall), "the sampler did not take the stall switch")
        #expect(daemon.terminate() == 0)
    }
}
