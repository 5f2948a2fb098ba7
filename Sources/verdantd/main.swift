#if canImport(Glibc)
import Glibc
#endif
import Logging
import VerdantDaemon
import VerdantSystemd

#if canImport(Glibc)
// At most 2 malloc arenas (glibc otherwise creates up to 8 × cores, one per thread that allocates:
// each NIO and cooperative-pool thread would keep its own heap resident). Before any thread starts.
// mallopt(3) with M_ARENA_MAX (-8 in glibc's malloc.h, which the Glibc module does not export).
if let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
    _ = unsafeBitCast(f, to: (@convention(c) (Int32, Int32) -> Int32).self)(-8, 2)
}
#endif

// Structured records to the journal when stderr is the journal (under systemd), else plain lines.
if JournalLogHandler.stderrIsJournal() {
    LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
} else {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
}
await DaemonCommand.runAsRoot()
