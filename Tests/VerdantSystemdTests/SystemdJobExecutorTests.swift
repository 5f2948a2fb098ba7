import Testing
import VerdantCore
@testable import VerdantSystemd

/// The pure parts of the systemd executor (the rest runs against a real systemd in
/// scripts/test-systemd-integration).
@Suite struct SystemdJobExecutorTests {
    @Test func allowedCPUsBecomeSystemdsByteMask() throws {
        // CPUs 0,1,2,3 -> bits 0-3 of byte 0 (0x0f); CPU 8 -> bit 0 of byte 1; CPU 13 -> bit 5 of byte 1 (0x20).
        #expect(try SystemdJobExecutor.cpuMask("0-3,8,13") == [0x0f, 0x21])
        #expect(try SystemdJobExecutor.cpuMask("7") == [0x80])
        #expect(throws: JobExecutorError.self) { try SystemdJobExecutor.cpuMask("3-1") }
        #expect(throws: JobExecutorError.self) { try SystemdJobExecutor.cpuMask("a") }
    }

    @Test func unitNamesFollowTheIssue() {
        #expect(SystemdJobExecutor.unitName(jobID: 42) == "verdant-job-42.service")
    }

    @Test func endOfAUnitFromExecMainCodeAndStatus() {
        // CLD_EXITED (1) with status 3; CLD_KILLED (2) with signal 15.
        let exited = SystemdJobExecutor.UnitState(loadState: "loaded", activeState: "failed", subState: "failed", controlGroup: nil,
                                                  execMainCode: 1, execMainStatus: 3, mainPID: nil, cpuSeconds: 1.5)
        #expect(exited.ended)
        #expect(exited.end(lastCPU: nil) == JobEnd(exitCode: 3, signal: nil, cpuSeconds: 1.5))
        let killed = SystemdJobExecutor.UnitState(loadState: "loaded", activeState: "failed", subState: "failed", controlGroup: nil,
                                                  execMainCode: 2, execMainStatus: 15, mainPID: nil, cpuSeconds: nil)
        #expect(killed.end(lastCPU: 0.25) == JobEnd(exitCode: nil, signal: 15, cpuSeconds: 0.25))
        let running = SystemdJobExecutor.UnitState(loadState: "loaded", activeState: "active", subState: "running", controlGroup: "/verdant.slice/x",
                                                   execMainCode: 0, execMainStatus: 0, mainPID: 12, cpuSeconds: 0.1)
        #expect(!running.ended)
        // RemainAfterExit=yes: a successful unit stays active (exited).
        let done = SystemdJobExecutor.UnitState(loadState: "loaded", activeState: "active", subState: "exited", controlGroup: nil,
                                                execMainCode: 1, execMainStatus: 0, mainPID: nil, cpuSeconds: 2)
        #expect(done.ended)
        #expect(done.end(lastCPU: nil).exitCode == 0)
    }
}
