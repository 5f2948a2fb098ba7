import Foundation
import Testing
@testable import VerdantExecutor
#if canImport(Glibc)
import Glibc
#endif

/// Job cgroups' accounting files kept open between ticks (`CgroupCounterFiles`, read with `pread`).
@Suite(.serialized) struct CgroupCounterFilesTests {
    @Test func keptFilesGiveTheCurrentValueAndFollowTheFile() throws {
        // Files as the kernel lays them out (scenario 9's values); rewritten in place between reads.
        let dir = NSTemporaryDirectory() + "verdant-cgkept-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "5771997191964\n".write(toFile: dir + "/cpuacct.usage", atomically: false, encoding: .utf8)
        try "usage_usec 8210530646\nuser_usec 5555530859\n".write(toFile: dir + "/cpu.stat", atomically: false, encoding: .utf8)
        let files = CgroupCounterFiles()
        let v1 = JobCgroup(layout: .v1(cpuacctMount: "/x"), path: dir), v2 = JobCgroup(layout: .v2(mount: "/x"), path: dir)
        #expect(abs(try #require(files.cpuSeconds(v1)) - 5771.997191964) < 1e-9)
        #expect(abs(try #require(files.cpuSeconds(v2)) - 8210.530646) < 1e-9)
        #expect(files.count == 2)
        // Same inode, new text: the kept descriptor reads it from offset 0.
        try "5771997191999\n".write(toFile: dir + "/cpuacct.usage", atomically: false, encoding: .utf8)
        #expect(abs(try #require(files.cpuSeconds(v1)) - 5771.997191999) < 1e-9)
        files.forget(v1)
        files.forget(v2)
        #expect(files.count == 0)
    }

    @Test(.enabled(if: geteuid() == 0 && CgroupLayout.detect() != nil)) func aRemovedCgroupGivesNoValue() throws {
        let layout = try #require(CgroupLayout.detect())
        let cg = try JobCgroup.create(layout: layout, name: "kept-test-\(getpid())")
        let files = CgroupCounterFiles()
        // A new, empty cgroup has used no CPU: 0 exactly (a value, since the file is readable).
        #expect(files.cpuSeconds(cg) == 0)
        #expect(cg.remove())
        // Its kept descriptor now fails (ENODEV), the retry cannot open it: nil, never 0.
        #expect(files.cpuSeconds(cg) == nil)
        files.forget(cg)
        #expect(files.count == 0)
    }
}
