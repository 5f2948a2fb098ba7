import Foundation
import Testing
@testable import VerdantCore

/// `verdant doctor`'s rules on hand-made facts (issue 12).
@Suite struct DoctorRulesTests {
    let vmSources = [
        SourceStatus(name: "perf-power", status: "unavailable: absent", detail: "no /sys/bus/event_source/devices/power"),
        SourceStatus(name: "powercap", status: "unavailable: absent", detail: "no /sys/class/powercap: a VM or a kernel without intel_rapl/amd RAPL"),
        SourceStatus(name: "estimate", status: "in use", detail: "tdp-curve-v1 default TDP 85 W"),
    ]

    @Test func aVMWithoutRAPLSaysSoAndWhatTheEstimateRestsOn() {
        let f = EnergyFacts(sources: vmSources, perfEventParanoid: 2, isRoot: true, nvmlGPUCount: nil, cpuModelName: "AMD EPYC",
                            estimateModel: "tdp-curve-v1 default TDP 85 W (CPU 'AMD EPYC' not in TDP table)", tdpFromTable: false)
        let checks = DoctorRules.energy(f)
        #expect(checks.map(\.name) == ["energy.powercap", "energy.perf", "energy.nvml", "energy.estimate"])
        #expect(checks.map(\.status) == [.warning, .warning, .ok, .warning])
        let estimate = checks[3]
        #expect(estimate.summary.contains("no RAPL"))
        #expect(estimate.summary.contains("default TDP of 85 W ('AMD EPYC' is not in CodeCarbon's cpu_power.csv)"))
        #expect(estimate.fix?.contains("estimate-max-watts") == true)
        #expect(DoctorRules.exitStatus(checks) == 0)
    }

    @Test func aCPUInTheTableIsNamedAsTheBasis() {
        let f = EnergyFacts(sources: vmSources, perfEventParanoid: 2, isRoot: true, nvmlGPUCount: nil, cpuModelName: "Intel(R) Xeon(R) Gold 6148",
                            estimateModel: "tdp-curve-v1 TDP 150.0 W", tdpFromTable: true)
        #expect(DoctorRules.energy(f)[3].summary.contains("the TDP of 'Intel(R) Xeon(R) Gold 6148' from CodeCarbon's cpu_power.csv"))
    }

    @Test func readableRAPLIsOkAndTheEstimateStandsBy() {
        let sources = [SourceStatus(name: "powercap", status: "in use", detail: "intel-rapl:0 package-0"),
                       SourceStatus(name: "estimate", status: "standby", detail: "")]
        let checks = DoctorRules.energy(EnergyFacts(sources: sources, perfEventParanoid: 2, isRoot: false, nvmlGPUCount: 2,
                                                    cpuModelName: nil, estimateModel: "m", tdpFromTable: false))
        #expect(checks.map(\.status) == [.ok, .ok, .ok])
        #expect(checks[1].summary == "NVML sees 2 GPU(s); their energy is measured")
        #expect(checks[2].summary.hasPrefix("standby"))
    }

    @Test func rootOnlyRAPLAndParanoidPerfAreErrorsWithTheirFixes() {
        let sources = [SourceStatus(name: "perf-power", status: "unavailable: permission", detail: "needs CAP_PERFMON"),
                       SourceStatus(name: "powercap", status: "unavailable: permission", detail: "root only")]
        let checks = DoctorRules.energy(EnergyFacts(sources: sources, perfEventParanoid: 2, isRoot: false, nvmlGPUCount: nil,
                                                    cpuModelName: nil, estimateModel: "m", tdpFromTable: false))
        #expect(checks[0].status == .error && checks[0].fix?.contains("verdant-powercap.conf") == true)
        #expect(checks[1].status == .error && checks[1].fix == "run verdantd as root, or: sudo sysctl -w kernel.perf_event_paranoid=0")
        #expect(DoctorRules.exitStatus(checks) == 1)
    }

    @Test func mountinfoOfThisKindOfHostIsHybrid() {
        let text = """
            31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs ro,size=4096k
            33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
            37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
            40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
            41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 - cgroup2 cgroup2 rw
            garbage
            """
        let (v1, v2) = CgroupMountinfo.parse(text)
        #expect(v1 == [CgroupMount(path: "/sys/fs/cgroup/cpuacct", controllers: ["cpuacct"]),
                       CgroupMount(path: "/sys/fs/cgroup/freezer", controllers: ["freezer"]),
                       CgroupMount(path: "/sys/fs/cgroup/systemd", controllers: [])])
        #expect(v2 == [CgroupMount(path: "/sys/fs/cgroup/unified", controllers: [])])
        let c = DoctorRules.cgroup(CgroupFacts(v2Mounts: v2, v1Mounts: v1, parentWritable: true, parentDirectory: "/sys/fs/cgroup/cpuacct/verdant"))
        #expect(c.status == .ok)
        #expect(c.summary == "cgroup hybrid (v1 controllers, cgroup2 at /sys/fs/cgroup/unified), controllers: cpuacct freezer; jobs use cpuacct at /sys/fs/cgroup/cpuacct")
    }

    @Test func cgroupWithoutCPUAccountingIsAnErrorAndUnwritableAWarning() {
        let none = DoctorRules.cgroup(CgroupFacts(v2Mounts: [CgroupMount(path: "/sys/fs/cgroup", controllers: ["memory", "pids"])],
                                                  v1Mounts: [], parentWritable: false, parentDirectory: nil))
        #expect(none.status == .error)
        #expect(none.summary.hasPrefix("cgroup v2 (unified), controllers: memory(v2) pids(v2)"))
        let ro = DoctorRules.cgroup(CgroupFacts(v2Mounts: [CgroupMount(path: "/sys/fs/cgroup", controllers: ["cpu", "memory"])],
                                                v1Mounts: [], parentWritable: false, parentDirectory: "/sys/fs/cgroup/verdant.slice"))
        #expect(ro.status == .warning && ro.fix?.contains("Delegate=yes") == true)
    }

    @Test func systemdStates() {
        let noSystemd = DoctorRules.systemd(SystemdFacts(pid1Name: "process_api", unitPaths: ["verdantd.service": nil], serviceActiveState: nil))
        #expect(noSystemd.status == .warning && noSystemd.summary.contains("PID 1 is 'process_api', not systemd"))
        let missing = DoctorRules.systemd(SystemdFacts(pid1Name: "systemd", unitPaths: ["verdantd.service": nil, "verdantd.socket": "/etc/systemd/system/verdantd.socket"], serviceActiveState: "inactive"))
        #expect(missing.summary == "systemd is PID 1 but verdantd.service is not installed")
        let inactive = DoctorRules.systemd(SystemdFacts(pid1Name: "systemd", unitPaths: ["verdantd.service": "/a", "verdantd.socket": "/b"], serviceActiveState: "failed"))
        #expect(inactive.status == .warning && inactive.summary.hasSuffix("verdantd.service is failed"))
        let fine = DoctorRules.systemd(SystemdFacts(pid1Name: "systemd", unitPaths: ["verdantd.service": "/a"], serviceActiveState: "active"))
        #expect(fine.status == .ok)
    }

    @Test func stateFolderPermissionsAndSpace() {
        func check(mode: UInt16, free: UInt64) -> DoctorCheck {
            DoctorRules.stateFolder(StateFolderFacts(path: "/s", exists: true, mode: mode, ownerUID: 0, freeBytes: free, writable: true))
        }
        #expect(check(mode: 0o777, free: 1 << 40).status == .error)
        #expect(check(mode: 0o777, free: 1 << 40).fix == "sudo chmod o-w /s")
        #expect(check(mode: 0o755, free: 50 << 20).status == .error)
        #expect(check(mode: 0o755, free: 500 << 20).summary == "/s: 500.0 MiB free (under 1 GiB)")
        #expect(check(mode: 0o755, free: 3 << 30).summary == "/s: mode 0755, owner uid 0, 3.0 GiB free")
        #expect(DoctorRules.stateFolder(StateFolderFacts(path: "/x", exists: false, mode: nil, ownerUID: nil, freeBytes: nil, writable: false)).status == .error)
    }

    @Test func databaseIntegrity() {
        #expect(DoctorRules.database(DatabaseFacts(path: "/s/v.sqlite", exists: true, sizeBytes: 2048, quickCheck: ["ok"], openError: nil)).summary
                == "/s/v.sqlite: 2.0 KiB, quick_check ok")
        let bad = DoctorRules.database(DatabaseFacts(path: "/s/v.sqlite", exists: true, sizeBytes: 4096, quickCheck: ["*** in database main ***", "Page 3 is never used"], openError: nil))
        #expect(bad.status == .error && bad.summary.contains("Page 3 is never used"))
    }

    @Test func intensityLinks() {
        let checks = DoctorRules.intensity([
            IntensityLinkFacts(name: "electricitymaps", health: "failing", lastError: "HTTP 401 Unauthorized", newestPointAgeSeconds: 7200),
            IntensityLinkFacts(name: "uk-carbon-intensity", health: "ok", lastError: nil, newestPointAgeSeconds: 4 * 3600),
            IntensityLinkFacts(name: "trace:de.csv", health: "in-use", lastError: nil, newestPointAgeSeconds: 40 * 86400),
            IntensityLinkFacts(name: "trace:de-2020-06.csv", health: "ok", lastError: nil, newestPointAgeSeconds: -2_589_295),
        ])
        #expect(checks.map(\.status) == [.warning, .warning, .ok, .ok])
        #expect(checks[3].summary == "trace:de-2020-06.csv: ok; data reaches 30.0 d ahead")
        #expect(checks[0].fix?.contains("electricitymaps-token-file") == true)
        #expect(checks[0].summary == "electricitymaps is failing: newest point 2.0 h old; last error: HTTP 401 Unauthorized")
        #expect(checks[1].summary == "uk-carbon-intensity is ok but its newest point is 4.0 h old")
    }

    @Test func clockAndModel() {
        #expect(DoctorRules.clock(ClockFacts(state: 5, unsyncFlag: true, maxErrorMicroseconds: 16_000_000)).status == .warning)
        #expect(DoctorRules.clock(ClockFacts(state: 0, unsyncFlag: false, maxErrorMicroseconds: 12_500)).summary == "synchronized (estimated error 12 ms)")
        #expect(DoctorRules.model(ModelFacts(forecastUsed: "seasonal-naive-24h", reason: "no model", modelAgeSeconds: nil, backtestMAPE: nil, seasonalNaiveMAPE: nil)).status == .warning)
        let old = DoctorRules.model(ModelFacts(forecastUsed: "ridge-v1", reason: "", modelAgeSeconds: 3 * 86400, backtestMAPE: 8, seasonalNaiveMAPE: 12))
        #expect(old.status == .warning && old.summary.hasPrefix("the forecast model is 3.0 d old"))
        let worse = DoctorRules.model(ModelFacts(forecastUsed: "seasonal-naive-24h", reason: "", modelAgeSeconds: 3600, backtestMAPE: 14, seasonalNaiveMAPE: 12))
        #expect(worse.status == .warning)
        let good = DoctorRules.model(ModelFacts(forecastUsed: "ridge-v1", reason: "", modelAgeSeconds: 3600, backtestMAPE: 8.04, seasonalNaiveMAPE: 12.5))
        #expect(good.summary == "ridge-v1, trained 60 min ago; backtest MAPE 8.0 % vs seasonal naive 24 h 12.5 %")
    }
}

/// The progress line of long operations (issue 12).
@Suite struct ProgressLineTests {
    @Test func rateAndTimeLeft() {
        // 120 of 2400 in 4 s: 30/s, 2280 left → 76 s.
        #expect(ProgressLine.format(label: "origins", done: 120, total: 2400, elapsedSeconds: 4) == "origins 120/2400  30.0/s  ETA 1m16s")
        // 5 of 10 in 2 s: 2.5/s → 2 s left.
        #expect(ProgressLine.format(label: "jobs", done: 5, total: 10, elapsedSeconds: 2) == "jobs 5/10  2.5/s  ETA 2s")
        #expect(ProgressLine.format(label: "jobs", done: 1000, total: 1000, elapsedSeconds: 2) == "jobs 1000/1000  500/s  ETA 0s")
        #expect(ProgressLine.format(label: "rows", done: 0, total: 10, elapsedSeconds: 0) == "rows 0/10  -/s  ETA -")
    }
}
