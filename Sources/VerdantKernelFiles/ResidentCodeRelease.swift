#if canImport(Glibc)
import Glibc
#endif

/// What one `ResidentCodeRelease.run()` did; sizes in bytes.
public struct ResidentCodeReleaseReport: Sendable, Equatable {
    /// File-backed private mappings looked at (the executable's segments and the shared libraries').
    public var mappings: Int
    /// Bytes of resident file pages handed to `madvise(MADV_PAGEOUT)`.
    public var bytesAdvised: Int
    /// `VmRSS` before and after (`/proc/self/status`), bytes; 0 when unreadable.
    public var residentBytesBefore: Int
    public var residentBytesAfter: Int
    /// `RssFile` before and after (`/proc/self/status`), bytes: the part this call can lower.
    public var fileResidentBytesBefore: Int
    public var fileResidentBytesAfter: Int
    /// `errno` of the first failed `madvise` (`EINVAL`: a kernel before 5.4), else 0.
    public var madviseErrno: Int32
}

/// Hands back the resident pages of this process's own code and read-only data that it can fault in
/// again from their files, and the heap glibc keeps free.
///
/// Why: most of verdantd's resident memory is clean pages of its statically linked binary, mapped at
/// start-up (the loader, configuration, migrations, the API server, job submission) and by the kernel's
/// fault-around (each fault on a file page maps its 64 KiB neighbourhood, `fault_around_bytes`), not by
/// the sampling it then does for hours (docs/performance.md). Once start-up is over, this call asks the
/// kernel to reclaim them; the code that keeps running faults its own pages back (the release link's
/// symbol order keeps that code together), so the resident set becomes the working set.
///
/// How (Linux ≥ 5.4): each private, file-backed mapping of `/proc/self/maps` is looked up in
/// `/proc/self/pagemap` (Documentation/admin-guide/mm/pagemap.rst: bit 63 present, bit 61 file page);
/// runs of file pages get `madvise(MADV_PAGEOUT)` (madvise(2): "Reclaim a given range of pages ... the
/// pages in the range will be reclaimed"). Anonymous pages (copy-on-write data, relocated
/// `.data.rel.ro`) are never advised, so nothing goes to swap; pages other processes also map are left
/// alone by the kernel. Then `malloc_trim(0)` (man 3 malloc_trim). The kernel pages out file pages
/// only for a caller that could open the file for writing (root, or the file's owner; mm/madvise.c,
/// `can_do_file_pageout`); for anyone else the call changes nothing and costs a few system calls.
///
/// The same mappings get `MADV_RANDOM` first: without it, the faults that bring the working set back
/// read around each faulting page (`read_ahead_kb`, 8 MiB on this VM's disk) and fault-around maps
/// 64 KiB around each touch again; with it, only the pages touched come back (measured in
/// docs/performance.md). Later first-time code paths (a report) then fault page by page.
///
/// Safe at any time: the pages are clean copies of their files, read again on the next touch.
/// Costs: one pass over `/proc/self/maps` and the pagemap entries of those mappings (8 bytes per
/// 4 KiB page), then the faults that bring the working set back.
public enum ResidentCodeRelease {
    /// `MADV_PAGEOUT` (linux/mman.h, since Linux 5.4).
    public static let madvisePageout: Int32 = 21

    /// Pages out this process's resident file-backed private pages, then trims the heap.
    public static func run() -> ResidentCodeReleaseReport {
        let before = residentBytes()
        var report = ResidentCodeReleaseReport(mappings: 0, bytesAdvised: 0, residentBytesBefore: before.total,
                                               residentBytesAfter: 0, fileResidentBytesBefore: before.file,
                                               fileResidentBytesAfter: 0, madviseErrno: 0)
        let mappings = KernelFile.readText("/proc/self/maps").map(privateFileMappings) ?? []
        let pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)
        if pagemap >= 0 {
            defer { close(pagemap) }
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            for m in mappings {
                report.mappings += 1
                // No read-around on this mapping's later faults (madvise(2) MADV_RANDOM: "read ahead may be
                // less useful than normally"): a fault then reads its own page only, and the kernel's
                // fault-around maps only neighbours already cached, so what comes back is the code that runs,
                // not the 64 KiB-8 MiB around it that the default read-around would cache and map again.
                _ = madvise(UnsafeMutableRawPointer(bitPattern: m.start), m.end - m.start, MADV_RANDOM)
                for run in fileRuns(pagemap: pagemap, start: m.start, end: m.end, pageSize: page) {
                    if madvise(UnsafeMutableRawPointer(bitPattern: run.start), run.end - run.start, madvisePageout) == 0 {
                        report.bytesAdvised += run.end - run.start
                    } else if report.madviseErrno == 0 {
                        report.madviseErrno = errno
                    }
                }
            }
        }
        trimHeap()
        let after = residentBytes()
        report.residentBytesAfter = after.total
        report.fileResidentBytesAfter = after.file
        return report
    }

    /// `VmRSS` and `RssFile` of `/proc/self/status`, bytes (0 when absent).
    public static func residentBytes() -> (total: Int, file: Int) {
        guard let text = KernelFile.readText("/proc/self/status") else { return (0, 0) }
        var total = 0, file = 0
        for line in text.split(separator: "\n") {
            if line.hasPrefix("VmRSS:") { total = kilobytes(line) * 1024 }
            if line.hasPrefix("RssFile:") { file = kilobytes(line) * 1024 }
        }
        return (total, file)
    }

    private static func kilobytes(_ line: Substring) -> Int {
        line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
    }

    /// Address ranges of the private mappings of files (`/proc/PID/maps` lines whose permissions end
    /// in `p` and whose path starts with `/`), in the order listed. proc(5) documents the line format:
    /// `start-end perms offset dev inode path`, addresses in hex.
    public static func privateFileMappings(_ maps: String) -> [(start: Int, end: Int)] {
        var out: [(start: Int, end: Int)] = []
        for line in maps.split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 5, omittingEmptySubsequences: true)
            guard fields.count == 6, fields[1].count == 4, fields[1].last == "p",
                  fields[5].trimmingPrefixSpaces().first == "/" else { continue }
            let range = fields[0].split(separator: "-")
            guard range.count == 2, let start = Int(range[0], radix: 16), let end = Int(range[1], radix: 16), end > start
            else { continue }
            out.append((start, end))
        }
        return out
    }

    /// Runs of pages in [start, end) that hold no anonymous page: a run ends before each present
    /// anonymous page (bit 63 set, bit 61 clear) and restarts after it; absent pages join the runs.
    static func fileRuns(pagemap: Int32, start: Int, end: Int, pageSize: Int) -> [(start: Int, end: Int)] {
        var runs: [(start: Int, end: Int)] = []
        var runStart: Int? = nil
        var sawFilePage = false
        let chunkPages = 4096
        var entries = [UInt64](repeating: 0, count: chunkPages)
        var address = start
        while address < end {
            let pages = min(chunkPages, (end - address) / pageSize)
            let offset = off_t((address / pageSize) * 8)
            let got = entries.withUnsafeMutableBytes { pread(pagemap, $0.baseAddress!, pages * 8, offset) }
            guard got == pages * 8 else { break }
            for i in 0..<pages {
                let e = entries[i]
                let present = e & (1 << 63) != 0
                let filePage = e & (1 << 61) != 0
                let a = address + i * pageSize
                if present && !filePage {
                    if let s = runStart, sawFilePage { runs.append((s, a)) }
                    runStart = nil
                    sawFilePage = false
                } else {
                    if runStart == nil { runStart = a }
                    if present { sawFilePage = true }
                }
            }
            address += pages * pageSize
        }
        if let s = runStart, sawFilePage { runs.append((s, min(address, end))) }
        return runs
    }

    /// `malloc_trim(0)` on glibc (looked up at run time: the Glibc module does not export <malloc.h>).
    @discardableResult
    public static func trimHeap() -> Bool {
        typealias MallocTrim = @convention(c) (Int) -> Int32
        guard let symbol = dlsym(nil, "malloc_trim") else { return false }
        return unsafeBitCast(symbol, to: MallocTrim.self)(0) == 1
    }
}

private extension Substring {
    func trimmingPrefixSpaces() -> Substring { drop(while: { $0 == " " }) }
}
