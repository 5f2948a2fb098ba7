import Foundation
import Testing
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

@Suite struct ResidentCodeReleaseTests {
    /// proc(5)'s line format: only private mappings of files are kept (not `rw-s`, not `[heap]`, not
    /// anonymous), with their hex ranges.
    @Test func privateFileMappingsAreParsedFromMaps() {
        let maps = """
        55d0c0a00000-55d0c0b00000 r--p 00000000 fe:01 1234   /usr/local/bin/verdantd
        55d0c0b00000-55d0c1f00000 r-xp 00100000 fe:01 1234   /usr/local/bin/verdantd
        55d0c2000000-55d0c2400000 rw-p 01500000 fe:01 1234   /usr/local/bin/verdantd
        55d0c2400000-55d0c2500000 rw-p 00000000 00:00 0 \u{20}
        55d0c3000000-55d0c3100000 rw-p 00000000 00:00 0      [heap]
        7f0000000000-7f0000008000 rw-s 00000000 fe:01 99     /var/lib/verdant/verdant.db-shm
        7f0000010000-7f0000020000 r-xp 00010000 fe:01 77     /usr/lib/x86_64-linux-gnu/libc.so.6
        7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0      [vdso]
        """
        let m = ResidentCodeRelease.privateFileMappings(maps)
        #expect(m.map(\.start) == [0x55d0c0a00000, 0x55d0c0b00000, 0x55d0c2000000, 0x7f0000010000])
        #expect(m.map(\.end) == [0x55d0c0b00000, 0x55d0c1f00000, 0x55d0c2400000, 0x7f0000020000])
    }

    /// A private, writable mapping of a 16-page file, every page read and page 5 written (copy on
    /// write: an anonymous page): the release advises pages 0–4 and 6–15 and never page 5, whose
    /// written bytes survive; the other pages read back the file's bytes; and the page-out makes the
    /// mapping's resident file pages go (mincore(2) is for the page cache, so the test counts the
    /// process's own mapping through /proc/self/pagemap's present bit).
    @Test func copyOnWritePagesSurviveAndFilePagesGo() throws {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let path = NSTemporaryDirectory() + "resident-\(UUID().uuidString)"
        defer { unlink(path) }
        try Data(repeating: UInt8(ascii: "a"), count: 16 * page).write(to: URL(fileURLWithPath: path))
        let fd = open(path, O_RDONLY)
        #expect(fd >= 0)
        defer { close(fd) }
        let base = try #require(mmap(nil, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0))
        #expect(base != MAP_FAILED)
        defer { munmap(base, 16 * page) }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        var sum = 0
        for i in 0..<16 { sum += Int(bytes[i * page]) }
        #expect(sum == 16 * 97)
        bytes[5 * page] = UInt8(ascii: "b")
        #expect(presentPages(base, 16, page) == 16)

        let report = ResidentCodeRelease.run()
        #expect(report.madviseErrno == 0)
        #expect(report.bytesAdvised > 0)
        #expect(bytes[5 * page] == UInt8(ascii: "b"))   // the written (anonymous) page kept its bytes
        // Root (the test's usual user) may page out the file's pages: only the anonymous one stays.
        if geteuid() == 0 { #expect(presentPages(base, 16, page) == 1) }
        for i in 0..<16 where i != 5 { #expect(bytes[i * page] == UInt8(ascii: "a")) }
        #expect(presentPages(base, 16, page) == 16)
    }

    /// The test process's own code: root may page out the file pages, so `RssFile` falls (by far more
    /// than the 1 MiB the assertion asks: a test binary of hundreds of MB was read at start).
    @Test func residentFilePagesDrop() {
        guard geteuid() == 0 else { return }
        let report = ResidentCodeRelease.run()
        #expect(report.mappings > 0)
        #expect(report.fileResidentBytesBefore > 0)
        #expect(report.fileResidentBytesAfter < report.fileResidentBytesBefore - (1 << 20))
        #expect(report.residentBytesAfter < report.residentBytesBefore)
    }

    private func presentPages(_ base: UnsafeMutableRawPointer, _ count: Int, _ page: Int) -> Int {
        let fd = open("/proc/self/pagemap", O_RDONLY)
        defer { close(fd) }
        var entries = [UInt64](repeating: 0, count: count)
        let offset = off_t(Int(bitPattern: base) / page * 8)
        _ = entries.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, count * 8, offset) }
        return entries.filter { $0 & (1 << 63) != 0 }.count
    }
}
