import Testing
@testable import VerdantCore

@Suite struct EnergyCounterTests {
    @Test func deltaWithoutWrapIsTheDifference() {
        #expect(EnergyCounter.deltaMicrojoules(old: 100, new: 350, maxRange: 1000) == 250)
    }

    // Kepler internal/device/energy_zone_test.go: max 1000, 900 -> 100 is a delta of (1000-900)+100.
    @Test func wrapIsCorrectedWithTheZonesOwnRange() {
        #expect(EnergyCounter.deltaMicrojoules(old: 900, new: 100, maxRange: 1000) == 200)
    }

    @Test func readingsAboveTheRangeAreNoData() {
        #expect(EnergyCounter.deltaMicrojoules(old: 1200, new: 100, maxRange: 1000) == nil)
    }

    @Test func backwardsStepWithUnknownRangeIsNoDataNotNegative() {
        #expect(EnergyCounter.deltaMicrojoules(old: 900, new: 100, maxRange: 0) == nil)
    }

    // Kepler's two-zone vector: 900 + 800, then zone0 wraps to 100 (delta 200), zone1 850 (delta 50).
    @Test func twoZonesWrapIndependently() {
        let z0 = PowercapZoneID(directoryName: "intel-rapl:0")!
        let z1 = PowercapZoneID(directoryName: "intel-rapl:1")!
        let old = [PowercapZoneReading(id: z0, name: "package-0", energyMicrojoules: 900, maxEnergyRangeMicrojoules: 1000),
                   PowercapZoneReading(id: z1, name: "package-1", energyMicrojoules: 800, maxEnergyRangeMicrojoules: 1000)]
        let new = [PowercapZoneReading(id: z0, name: "package-0", energyMicrojoules: 100, maxEnergyRangeMicrojoules: 1000),
                   PowercapZoneReading(id: z1, name: "package-1", energyMicrojoules: 850, maxEnergyRangeMicrojoules: 1000)]
        // A 1000 µJ range wraps fast: with a 1 W bound, gaps up to 0.5 ms are safe.
        let bound = [z0: PowerWatts(1), z1: PowerWatts(1)]
        let zones = IntervalArithmetic.zoneIntervals(from: old, to: new, elapsedSeconds: 0.0001, maximumPower: bound)
        #expect(HostEnergyRule.hostEnergy(zones, cpuVendorIsAMD: false).cpuPackage == EnergyJoules(microjoules: 250))
    }
}

@Suite struct PowercapZoneTests {
    @Test func zoneNamesParseAndOddNamesAreRejected() {
        #expect(PowercapZoneID(directoryName: "intel-rapl:0:1")?.indices == [0, 1])
        #expect(PowercapZoneID(directoryName: "intel-rapl:0:1")?.parent == PowercapZoneID(directoryName: "intel-rapl:0"))
        #expect(PowercapZoneID(directoryName: "intel-rapl-mmio:0")?.controlType == "intel-rapl-mmio")
        #expect(PowercapZoneID(directoryName: "intel-rapl:a") == nil)
        #expect(PowercapZoneID(directoryName: "intel-rapl") == nil)
        #expect(PowercapZoneID(directoryName: "subsystem") == nil)
    }

    private func z(_ id: String, _ name: String, _ joules: Double) -> ZoneInterval {
        ZoneInterval(id: PowercapZoneID(directoryName: id)!, name: name, energy: EnergyJoules(joules), power: nil, status: .ok)
    }

    @Test func packagesAndDramAreSeparateAndCoreOrUncoreNeverAdded() {
        let h = HostEnergyRule.hostEnergy([
            z("intel-rapl:0", "package-0", 10), z("intel-rapl:0:0", "core", 4), z("intel-rapl:0:1", "uncore", 1),
            z("intel-rapl:0:2", "dram", 2), z("intel-rapl:1", "package-1", 20), z("intel-rapl:1:0", "core", 9),
        ], cpuVendorIsAMD: false)
        #expect(h.cpuPackage == EnergyJoules(30))
        #expect(h.dram == EnergyJoules(2))
        #expect(h.cpuTotal == EnergyJoules(32))
        #expect(h.platform == nil)
    }
}
