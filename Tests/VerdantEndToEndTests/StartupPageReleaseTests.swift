import Foundation
import Testing

/// `verdantd` hands start-up's code pages back at each phase boundary (docs/performance.md, "Code laid
/// out by function, and start-up pages handed back early"): the real daemon logs each release at
/// `debug` with its phase, in start-up order, and the resident set it left.
@Suite struct StartupPageReleaseTests {
    @Test func startUpHandsItsPagesBackAtEachPhaseInOrder() throws {
        let state = temporaryDirectory("startup-release")
        defer { try? FileManager.default.removeItem(at: state) }
        let d = try DaemonProcess(stateDirectory: state, args: ["--log-level", "debug", "--replay-speed", "0"])
        let log = d.daemonLog()
        #expect(d.terminate() == 0)
        let lines = log.split(separator: "\n").filter { $0.contains("start-up pages handed back") }
        let phases = lines.compactMap { line -> String? in
            line.split(separator: " ").first { $0.hasPrefix("phase=") }.map { String($0.dropFirst(6)) }
        }
        #expect(phases == ["configured", "store", "prepared"], "\(log)")
        // Each line carries the resident set before and after, in MB, and no madvise error for a
        // daemon that may page out its own binary (root, or the binary's owner).
        for line in lines {
            let fields = Dictionary(uniqueKeysWithValues: line.split(separator: " ").compactMap { f -> (String, String)? in
                let kv = f.split(separator: "=", maxSplits: 1)
                return kv.count == 2 ? (String(kv[0]), String(kv[1])) : nil
            })
            let before = Double(fields["rss_mb_before"] ?? "") ?? 0, after = Double(fields["rss_mb_after"] ?? "") ?? 0
            #expect(before > 1 && after > 0, "\(line)")
            if geteuid() == 0 { #expect(fields["madvise_errno"] == "0", "\(line)") }
        }
        // And the daemon went on to READY after the last one.
        #expect(log.contains("verdantd ready"), "\(log)")
    }
}
