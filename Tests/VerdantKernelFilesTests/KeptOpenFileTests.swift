import Foundation
import Testing
import VerdantKernelFiles
#if canImport(Glibc)
import Glibc
#endif

@Suite struct KeptOpenFileTests {
    /// The aggregate busy ticks (user + nice + system) of `/proc/stat`'s text.
    func busyTicks(_ bytes: UnsafeRawBufferPointer) -> Int {
        let first = String(decoding: bytes, as: UTF8.self).split(separator: "\n")[0].split(separator: " ")
        return Int(first[1])! + Int(first[2])! + Int(first[3])!
    }

    @Test func procStatIsRegeneratedAtEveryRead() throws {
        let f = KeptOpenFile(path: "/proc/stat")
        let a = try f.withContents(busyTicks).get()
        // Burn 60 ms of CPU: at least 5 more busy ticks (USER_HZ 100) on the whole machine.
        let start = clock()
        while Double(clock() - start) / Double(CLOCKS_PER_SEC) < 0.06 {}
        let b = try f.withContents(busyTicks).get()
        #expect(b - a >= 5)
        // A file larger than the 4 KiB stack buffer is read whole (a 10,000-byte regular file).
        let path = NSTemporaryDirectory() + "kept-\(UUID().uuidString)"
        defer { unlink(path) }
        try String(repeating: "0123456789", count: 1000).write(toFile: path, atomically: false, encoding: .utf8)
        let big = KeptOpenFile(path: path)
        #expect(try big.withContents { $0.count }.get() == 10_000)
        #expect(try big.withContents { $0.count }.get() == 10_000)
    }

    @Test func aMissingFileIsAnErrorWithItsErrno() {
        let f = KeptOpenFile(path: "/nonexistent/verdant/stat")
        switch f.withContents({ $0.count }) {
        case .success: Issue.record("read a file that does not exist")
        case .failure(let e):
            #expect(e.errno == ENOENT)
            #expect(e.description.hasPrefix("/nonexistent/verdant/stat: "))
        }
    }
}
