import Logging
import VerdantDaemon
import VerdantSystemd

// Structured records to the journal when stderr is the journal (under systemd), else plain lines.
if JournalLogHandler.stderrIsJournal() {
    LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
} else {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
}
await DaemonCommand.runAsRoot()
