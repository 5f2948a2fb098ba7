import Testing
@testable import VerdantDaemon

/// `ResidentMemoryTrimPolicy` by value: MiB sizes, seconds of monotonic time.
@Suite struct ResidentMemoryTrimPolicyTests {
    let mib = 1 << 20

    /// Start-up (0 → 36 MiB), quiet for one check: release at the second look; the working set
    /// regrows to 24 MiB within `refaultSeconds` (no release, it becomes the baseline); then +1 MiB
    /// is not worth it, +3 MiB that keeps growing waits, and +3 MiB that settled is released.
    @Test func releasesAfterGrowthThatSettledAndNotForTheWorkingSet() {
        var p = ResidentMemoryTrimPolicy()
        #expect(p.isDue(atSeconds: 0))
        var decisions: [Bool] = []
        decisions.append(p.observe(residentBytes: 36 * mib, atSeconds: 0))   // first look: nothing to compare
        #expect(!p.isDue(atSeconds: 1.9))
        #expect(p.isDue(atSeconds: 2))
        decisions.append(p.observe(residentBytes: 36 * mib, atSeconds: 2))   // settled, 36 MiB over 0
        #expect(decisions == [false, true])
        p.released(residentBytes: 18 * mib, atSeconds: 2)
        decisions = []
        decisions.append(p.observe(residentBytes: 22 * mib, atSeconds: 4))   // refaulting
        decisions.append(p.observe(residentBytes: 24 * mib, atSeconds: 6))
        decisions.append(p.observe(residentBytes: 24 * mib, atSeconds: 21.9))
        #expect(decisions == [false, false, false])
        #expect(p.baselineBytes == 24 * mib)
        decisions = []
        decisions.append(p.observe(residentBytes: 25 * mib, atSeconds: 24))  // growing (+1 MiB in 2 s)
        decisions.append(p.observe(residentBytes: 25 * mib, atSeconds: 26))  // settled, but +1 MiB: below growthBytes
        decisions.append(p.observe(residentBytes: 27 * mib, atSeconds: 28))  // +3 MiB but still growing (+2 MiB in 2 s)
        decisions.append(p.observe(residentBytes: 27 * mib, atSeconds: 30))  // +3 MiB, settled
        #expect(decisions == [false, false, false, true])
    }

    /// Four releases back to back, then one per 900 s: a fifth growth waits for its credit.
    @Test func creditsBoundTheReleases() {
        var p = ResidentMemoryTrimPolicy()
        var t = 0.0
        var decisions: [Bool] = [p.observe(residentBytes: 30 * mib, atSeconds: t)]
        for _ in 0..<4 {
            t += 30
            let release = p.observe(residentBytes: 30 * mib, atSeconds: t)
            decisions.append(release)
            if release { p.released(residentBytes: 10 * mib, atSeconds: t) }
            t += 30
            // Past refaultSeconds, but grown 20 MiB since the last look: not settled.
            decisions.append(p.observe(residentBytes: 30 * mib, atSeconds: t))
        }
        #expect(decisions == [false, true, false, true, false, true, false, true, false])
        // 4 credits spent (plus 242 s / 900 s earned): settled and 20 MiB over the baseline, no release.
        t += 2
        let fifth = p.observe(residentBytes: 30 * mib, atSeconds: t)
        #expect(!fifth)
        t += 900
        let later = p.observe(residentBytes: 30 * mib, atSeconds: t)
        #expect(later)
    }
}
