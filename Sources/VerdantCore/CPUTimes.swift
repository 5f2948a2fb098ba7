/// Node-wide CPU time, parsed from the first `cpu` line of `/proc/stat` (proc(5)).
public struct CPUTimes: Hashable, Sendable {
    /// CPU-seconds spent doing work: user + nice + system + irq + softirq + steal.
    /// `guest` and `guest_nice` are already included in user and nice (proc(5)) and are not added again.
    public let busySeconds: Double
    /// CPU-seconds idle: idle + iowait.
    public let idleSeconds: Double
    /// Number of `cpuN` lines: the CPUs the kernel accounts for.
    public let cpuCount: Int

    public init(busySeconds: Double, idleSeconds: Double, cpuCount: Int) {
        self.busySeconds = busySeconds
        self.idleSeconds = idleSeconds
        self.cpuCount = cpuCount
    }

    /// Parses the text of `/proc/stat`.
    /// - Parameters:
    ///   - text: the file's contents.
    ///   - ticksPerSecond: `sysconf(_SC_CLK_TCK)`, the unit of the fields (USER_HZ, 100 on Linux).
    /// - Throws: `CPUTimesError.malformed` when there is no aggregate `cpu` line with at least 4 fields.
    public static func parse(procStat text: String, ticksPerSecond: Double) throws -> CPUTimes {
        var aggregate: [Double]?
        var count = 0
        // Line by line, stopping after the `cpu` lines (they come first; the `intr` line after them
        // is kilobytes long and was split for nothing at every sampler tick).
        let utf8 = text.utf8
        var lineStart = utf8.startIndex
        while lineStart < utf8.endIndex {
            let lineEnd = utf8[lineStart...].firstIndex(of: 0x0A) ?? utf8.endIndex
            let line = text[lineStart..<lineEnd]
            lineStart = lineEnd < utf8.endIndex ? utf8.index(after: lineEnd) : lineEnd
            guard line.hasPrefix("cpu") else {
                if aggregate != nil { break }
                continue
            }
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields[0] == "cpu" {
                aggregate = fields.dropFirst().compactMap { Double($0) }
            } else {
                count += 1
            }
        }
        guard let f = aggregate, f.count >= 4 else { throw CPUTimesError.malformed }
        func at(_ i: Int) -> Double { i < f.count ? f[i] : 0 }
        let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7)
        let idle = at(3) + at(4)
        return CPUTimes(busySeconds: busy / ticksPerSecond, idleSeconds: idle / ticksPerSecond, cpuCount: max(count, 1))
    }
}

/// `/proc/stat` could not be understood.
public enum CPUTimesError: Error, CustomStringConvertible {
    case malformed
    public var description: String { "/proc/stat has no aggregate 'cpu' line with at least 4 numeric fields" }
}
