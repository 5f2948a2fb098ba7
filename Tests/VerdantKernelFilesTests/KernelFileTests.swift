import Foundation
import Testing
import VerdantKernelFiles

/// `KernelFile.readText` reads size-0 kernel files whole, any file of any size, and keeps no memory.
@Suite struct KernelFileTests {
    @Test func readsAProcFileWhoseSizeIsZero() throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: "/proc/self/status")
        #expect((attributes[.size] as? Int) == 0)
        let text = try #require(KernelFile.readText("/proc/self/status"))
        let pidLine = text.split(separator: "\n").first { $0.hasPrefix("Pid:") }
        #expect(pidLine.map { $0.dropFirst(4).trimmingCharacters(in: .whitespaces) } == String(getpid()))
    }

    @Test func readsAFileLargerThanOneChunkWhole() throws {
        let path = NSTemporaryDirectory() + "verdant-kernelfile-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        // 10,000 lines "n\n" for n in 0..<10000: 48,890 bytes, twelve 4 KiB reads.
        let body = (0..<10_000).map(String.init).joined(separator: "\n") + "\n"
        try body.write(toFile: path, atomically: true, encoding: .utf8)
        let text = try #require(KernelFile.readText(path))
        #expect(text.utf8.count == 48_890)
        #expect(text == body)
        #expect(KernelFile.readText(path + ".missing") == nil)
    }

    /// 4,000 reads of a size-0 proc file: `String(contentsOfFile:)` grew the heap by about 4 KiB a read
    /// (16 MB here); this reader must keep the process's anonymous memory within 4 MiB.
    @Test func manyReadsDoNotGrowTheHeap() throws {
        func rssAnonKiB() -> Int {
            let s = KernelFile.readText("/proc/self/status") ?? ""
            let line = s.split(separator: "\n").first { $0.hasPrefix("RssAnon:") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? -1
        }
        for _ in 0..<200 { _ = KernelFile.readText("/proc/self/stat") }
        let before = rssAnonKiB()
        #expect(before > 0)
        var bytes = 0
        for _ in 0..<4000 { bytes += KernelFile.readText("/proc/self/stat")?.utf8.count ?? 0 }
        let after = rssAnonKiB()
        #expect(bytes > 4000 * 50)
        #expect(after - before < 4096)
    }
}
