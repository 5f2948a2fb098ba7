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
// The loader and the Swift runtime's start left ~8 MB resident, mostly whole 64 KiB neighbourhoods of
// the binary; hand them back before start-up faults more in (StartupPageRelease; docs/performance.md,
// "Code laid out by function, and start-up pages handed back early").
StartupPageRelease.run(phase: "main", logger: nil)
// One NIO event loop and one blocking-pool thread for the API and metrics servers (local requests,
// a few a minute): NIO's singletons otherwise start one thread per core, each with its stack and
// wake-ups. Read by NIOSingletons when first used (swift-nio GlobalSingletons.swift); an operator's
// own setting of these variables wins (overwrite = 0). docs/performance.md.
setenv("NIO_SINGLETON_GROUP_LOOP_COUNT", "1", 0)
setenv("NIO_SINGLETON_BLOCKING_POOL_THREAD_COUNT", "1", 0)
#endif

// Structured records to the journal when stderr is the journal (under systemd), else plain lines.
if JournalLogHandler.stderrIsJournal() {
    LoggingSystem.bootstrap { JournalLogHandler(label: $0) }
} else {
    LoggingSystem.bootstrap(StreamLogHandler.standardError)
}
await DaemonCommand.runAsRoot()
