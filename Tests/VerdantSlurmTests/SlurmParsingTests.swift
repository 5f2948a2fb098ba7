import Foundation
import Testing
import VerdantCore
@testable import VerdantSlurm

/// The readers of Slurm's client output, on output captured from Slurm 22.05 (Fixtures/README.md).
@Suite struct SlurmParsingTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func fixture(_ name: String) throws -> Data {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
        return try Data(contentsOf: url)
    }

    @Test func timesAreSlurmsLocalFormatToTheSecond() {
        // 1795969783 s = 2026-11-29T16:29:43Z; the fraction is dropped, not rounded.
        let d = Date(timeIntervalSince1970: 1_795_969_783.9)
        #expect(SlurmParsing.timeString(d, timeZone: Self.utc) == "2026-11-29T16:29:43")
        #expect(SlurmParsing.timeString(d, timeZone: TimeZone(secondsFromGMT: 7200)!) == "2026-11-29T18:29:43")
        #expect(SlurmParsing.parseTime("2026-11-29T16:29:43", timeZone: Self.utc) == Date(timeIntervalSince1970: 1_795_969_783))
        #expect(SlurmParsing.parseTime("Unknown") == nil)
        #expect(SlurmParsing.parseTime("None") == nil)
        #expect(SlurmParsing.parseTime("") == nil)
    }

    @Test func elapsedForms() {
        #expect(SlurmParsing.parseElapsed("00:00:04") == 4)
        #expect(SlurmParsing.parseElapsed("01:30:00") == 5400)
        #expect(SlurmParsing.parseElapsed("1-02:00:30") == 93630)  // 86400 + 7200 + 30
        #expect(SlurmParsing.parseElapsed("0:04") == 4)          // squeue %M: MM:SS
        #expect(SlurmParsing.parseElapsed("12:03.500") == 723.5)  // sacct TotalCPU: MM:SS.mmm
        #expect(SlurmParsing.parseElapsed("2-05") == 190_800)  // 2 x 86400 + 5 x 3600
        #expect(SlurmParsing.parseElapsed("INVALID") == nil)
        #expect(SlurmParsing.parseElapsed("UNLIMITED") == nil)
        #expect(SlurmParsing.parseElapsed("") == nil)
        #expect(SlurmParsing.parseElapsed("1:2.5:3") == nil)
    }

    @Test func exitCodes() {
        #expect(BatchExitCode(parsing: "0:0") == BatchExitCode(status: 0, signal: 0))
        #expect(BatchExitCode(parsing: "3:0") == BatchExitCode(status: 3, signal: 0))
        #expect(BatchExitCode(parsing: "0:15")?.description == "0:15")
        #expect(BatchExitCode(parsing: "3") == nil)
        #expect(BatchExitCode(parsing: "a:0") == nil)
        // squeue --json: the wait status word; exit 3 is 3 << 8 = 768; SIGKILL alone is 9.
        #expect(BatchExitCode(waitStatus: 768) == BatchExitCode(status: 3, signal: 0))
        #expect(BatchExitCode(waitStatus: 9) == BatchExitCode(status: 0, signal: 9))
    }

    @Test func statesMapOntoVerdantsStates() {
        #expect(SlurmParsing.phase(ofState: "PENDING")?.jobState == .queued)
        #expect(SlurmParsing.phase(ofState: "RUNNING")?.jobState == .running)
        #expect(SlurmParsing.phase(ofState: "COMPLETING")?.jobState == .running)
        #expect(SlurmParsing.phase(ofState: "COMPLETED")?.jobState == .succeeded)
        #expect(SlurmParsing.phase(ofState: "TIMEOUT")?.jobState == .failed)
        #expect(SlurmParsing.phase(ofState: "DEADLINE")?.jobState == .failed)
        #expect(SlurmParsing.phase(ofState: "OUT_OF_MEMORY")?.jobState == .failed)
        #expect(SlurmParsing.phase(ofState: "CANCELLED by 1000")?.jobState == .cancelled)
        #expect(SlurmParsing.phase(ofState: "NO_SUCH_STATE") == nil)
    }

    @Test func squeueJSONOfThreeJobs() throws {
        let jobs = try SlurmParsing.squeueJSON(Self.fixture("squeue-22.05-three-jobs.json"))
        #expect(jobs.map(\.id) == [1, 2, 3])
        let j1 = jobs[0]
        #expect(j1.state == "FAILED" && j1.phase == .failed && j1.reason == "NonZeroExitCode")
        #expect(j1.eligibleAt == Date(timeIntervalSince1970: 1_795_969_783))
        #expect(j1.startAt == Date(timeIntervalSince1970: 1_795_969_784))
        #expect(j1.endAt == Date(timeIntervalSince1970: 1_795_969_788))
        #expect(j1.elapsedSeconds == 4)
        #expect(j1.exitCode == BatchExitCode(status: 3, signal: 0))
        #expect(jobs[1].reason == "BadConstraints")
        #expect(jobs[2].phase == .cancelled && jobs[2].exitCode == BatchExitCode(status: 0, signal: 0))
        // Cancelled while pending: eligible (its --begin) after its end.
        #expect(jobs[2].eligibleAt == Date(timeIntervalSince1970: 1_795_970_743))
    }

    @Test func squeueJSONWithErrorsIsUnreachable() throws {
        // What squeue --json prints (exit 0) while slurmctld is down.
        let down = #"{"meta":{},"errors":[{"description":"Failed while looking for jobs","error_number":-1,"error":"Unspecified error","source":"slurm_load_jobs"}],"jobs":[]}"#
        #expect(throws: BatchSchedulerError.unreachable("squeue: Failed while looking for jobs: Unspecified error")) {
            try SlurmParsing.squeueJSON(Data(down.utf8))
        }
        #expect(throws: BatchSchedulerError.self) { try SlurmParsing.squeueJSON(Data("not json".utf8)) }
    }

    @Test func sacctCompletionFile() throws {
        let text = String(decoding: try Self.fixture("sacct-22.05-completion.txt"), as: UTF8.self)
        let jobs = try SlurmParsing.sacctParsable2(text, timeZone: Self.utc)
        #expect(jobs.map(\.id) == [3, 1])
        #expect(jobs[1].state == "FAILED" && jobs[1].elapsedSeconds == 4 && jobs[1].exitCode?.status == 3)
        #expect(jobs[1].startAt == Date(timeIntervalSince1970: 1_795_969_784))
        #expect(jobs[1].consumedEnergy == nil)
    }

    @Test func sacctWithEnergy() throws {
        let text = String(decoding: try Self.fixture("sacct-energy-handwritten.txt"), as: UTF8.self)
        let jobs = try SlurmParsing.sacctParsable2(text, timeZone: Self.utc)
        #expect(jobs.map(\.id) == [41, 42, 43])   // the 41.batch step line is skipped
        #expect(jobs[0].consumedEnergy == EnergyJoules(1_620_000))  // 300 W x 5400 s
        #expect(jobs[0].elapsedSeconds == 5400 && jobs[0].phase == .completed)
        #expect(jobs[1].state == "CANCELLED" && jobs[1].phase == .cancelled)
        #expect(jobs[1].elapsedSeconds == 93630 && jobs[1].exitCode == BatchExitCode(status: 0, signal: 15))
        #expect(jobs[1].consumedEnergy == nil)   // 0 = not gathered, never "zero joules"
        #expect(jobs[2].phase == .failed && jobs[2].consumedEnergy == nil)
        #expect(throws: BatchSchedulerError.self) { try SlurmParsing.sacctParsable2("JobID|State\n1|RUNNING\n") }
    }

    @Test func sbatchOutputAndFailures() {
        #expect(SlurmParsing.sbatchJobID("17\n") == 17)
        #expect(SlurmParsing.sbatchJobID("17;ci\n") == 17)
        #expect(SlurmParsing.sbatchJobID("") == nil)
        let refused = SlurmParsing.classifyFailure(tool: "sbatch", stderr: "sbatch: error: invalid partition specified: nope\nsbatch: error: Batch job submission failed: Invalid partition name specified\n")
        #expect(refused == .refused("invalid partition specified: nope; Batch job submission failed: Invalid partition name specified"))
        let down = SlurmParsing.classifyFailure(tool: "sbatch", stderr: "sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n")
        #expect(down == .unreachable("Batch job submission failed: Unable to contact slurm controller (connect failure)"))
    }

    @Test func sbatchArgumentsAndScript() {
        let s = BatchSubmission(jobName: "verdant-7", command: ["python3", "-c", "print('it''s')"], workingDirectory: "/home/u",
                                environment: [], uid: 1000, gid: 1000,
                                begin: Date(timeIntervalSince1970: 1_591_092_000), deadline: Date(timeIntervalSince1970: 1_591_120_800),
                                timeLimitMinutes: 90, resources: BatchResources(partition: "gpu", cpusPerTask: 4, memoryMebibytes: 8192, gpus: 2),
                                outputPath: "/home/u/verdant-7-%j.out")
        #expect(SlurmParsing.sbatchArguments(s, asUser: true, timeZone: Self.utc) == [
            "--parsable", "--begin=2020-06-02T10:00:00", "--deadline=2020-06-02T18:00:00", "--job-name=verdant-7",
            "--time=90", "--chdir=/home/u", "--output=/home/u/verdant-7-%j.out", "--export=ALL",
            "--partition=gpu", "--cpus-per-task=4", "--mem=8192M", "--gres=gpu:2", "--uid=1000", "--gid=1000",
        ])
        #expect(SlurmParsing.batchScript(command: ["echo", "it's", "$HOME"]).hasSuffix("exec 'echo' 'it'\\''s' '$HOME'\n"))
    }

    @Test func timeLimitFromPrediction() {
        #expect(BatchTimeLimit.minutes(expectedSeconds: 3600) == 90)
        #expect(BatchTimeLimit.minutes(expectedSeconds: 10) == 1)
        #expect(BatchTimeLimit.minutes(expectedSeconds: 61, margin: 0) == 2)
    }
}

@Suite struct SlurmCgroupPathTests {
    @Test func pathsOfBothPlugins() {
        #expect(SlurmCgroupPaths.v1(uid: 1000, jobID: 42) == "/sys/fs/cgroup/cpuacct/slurm/uid_1000/job_42")
        #expect(SlurmCgroupPaths.v1(uid: 0, jobID: 7, multipleSlurmdNode: "n1") == "/sys/fs/cgroup/cpuacct/slurm_n1/uid_0/job_7")
        #expect(SlurmCgroupPaths.v2(jobID: 42) == "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42")
        #expect(SlurmCgroupPaths.v2(root: "/x", jobID: 3, multipleSlurmdNode: "n2") == "/x/system.slice/n2_slurmstepd.scope/job_3")
        #expect(SlurmCgroupPaths.jobID(ofCgroup: "/sys/fs/cgroup/system.slice/slurmstepd.scope/job_42/step_batch/user/task_0") == 42)
        #expect(SlurmCgroupPaths.jobID(ofCgroup: "/sys/fs/cgroup/cpuacct/slurm/uid_0") == nil)
    }
}
