import Foundation
import Testing
@testable import VerdantExecutor

/// `JobCgroup.cpuSeconds` through the POSIX reader, on files laid out as the kernel writes them
/// (values from the energy-measurement issue, scenario 9).
@Suite struct CgroupCounterFileTests {
    private func folder(_ files: [String: String]) throws -> String {
        let dir = NSTemporaryDirectory() + "verdant-cgfile-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func v1CpuacctUsageIsNanoseconds() throws {
        let dir = try folder(["cpuacct.usage": "5771997191964\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try #require(JobCgroup(layout: .v1(cpuacctMount: "/x"), path: dir).cpuSeconds())
        #expect(abs(s - 5771.997191964) < 1e-9)
    }

    @Test func v2CpuStatUsageUsecIsReadByKey() throws {
        let stat = "usage_usec 8210530646\nuser_usec 5555530859\nsystem_usec 2654999787\nnr_periods 0\n"
        let dir = try folder(["cpu.stat": stat])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s = try #require(JobCgroup(layout: .v2(mount: "/x"), path: dir).cpuSeconds())
        #expect(abs(s - 8210.530646) < 1e-9)
    }

    @Test func missingEmptyOrGarbledFilesGiveNoValueNotZero() throws {
        let dir = try folder(["cpuacct.usage": "", "cpu.stat": "user_usec 12\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(JobCgroup(layout: .v1(cpuacctMount: "/x"), path: dir).cpuSeconds() == nil)
        #expect(JobCgroup(layout: .v2(mount: "/x"), path: dir).cpuSeconds() == nil)
        #expect(JobCgroup(layout: .v1(cpuacctMount: "/x"), path: dir + "/gone").cpuSeconds() == nil)
        try "12a4\n".write(toFile: dir + "/cpuacct.usage", atomically: true, encoding: .utf8)
        #expect(JobCgroup(layout: .v1(cpuacctMount: "/x"), path: dir).cpuSeconds() == nil)
    }
}
