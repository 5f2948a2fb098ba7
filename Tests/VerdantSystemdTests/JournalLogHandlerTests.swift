import Foundation
import Logging
import Testing
@testable import VerdantSystemd

@Suite struct JournalLogHandlerTests {
    @Test func recordsCarryPriorityCodeLocationAndVerdantFields() {
        let f = JournalLogHandler.fields(level: .warning, message: "job ended", metadata: ["job.id": "7", "zone.path": "intel-rapl:0"],
                                         label: "verdantd", file: "JobRuntime.swift", function: "jobExited(id:exit:)", line: 42)
        #expect(f.contains("MESSAGE=job ended"))
        #expect(f.contains("PRIORITY=4"))
        #expect(f.contains("CODE_FILE=JobRuntime.swift"))
        #expect(f.contains("CODE_LINE=42"))
        #expect(f.contains("VERDANT_JOB_ID=7"))
        #expect(f.contains("VERDANT_ZONE=intel-rapl:0"))
    }

    @Test func fieldNamesAreJournalSafe() {
        #expect(JournalLogHandler.fieldName("energy_j") == "VERDANT_ENERGY_J")
        #expect(JournalLogHandler.fieldName("cgroup.path") == "VERDANT_CGROUP_PATH")
        #expect(JournalLogHandler.priority(.error) == 3)
        #expect(JournalLogHandler.priority(.critical) == 2)
    }

    @Test func journalIsDetectedOnlyWhenStderrMatchesJournalStream() {
        var st = stat()
        fstat(2, &st)
        #expect(JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "\(st.st_dev):\(st.st_ino)"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: ["JOURNAL_STREAM": "1:2"]))
        #expect(!JournalLogHandler.stderrIsJournal(environment: [:]))
    }
}
