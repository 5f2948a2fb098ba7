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
        let total = PowercapArithmetic.nodeEnergy(from: old, to: new)
        #expect(total == EnergyJoules(microjoules: 250))
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

    private func r(_ id: String, _ name: String) -> PowercapZoneReading {
        PowercapZoneReading(id: PowercapZoneID(directoryName: id)!, name: name, energyMicrojoules: 0, maxEnergyRangeMicrojoules: 1000)
    }

    @Test func packagesAndDramAreSummedButNeverCoreOrUncore() {
        let ids = PowercapArithmetic.nodeTotalZones([
            r("intel-rapl:0", "package-0"), r("intel-rapl:0:0", "core"), r("intel-rapl:0:1", "uncore"),
            r("intel-rapl:0:2", "dram"), r("intel-rapl:1", "package-1"), r("intel-rapl:1:0", "core"),
        ]).map(\.description)
        #expect(ids == ["intel-rapl:0", "intel-rapl:0:2", "intel-rapl:1"])
    }

    @Test func psysAloneIsTheNodeTotal() {
        let ids = PowercapArithmetic.nodeTotalZones([
            r("intel-rapl:0", "package-0"), r("intel-rapl:0:2", "dram"), r("intel-rapl:1", "psys"),
        ]).map(\.description)
        #expect(ids == ["intel-rapl:1"])
    }

    @Test func mmioDuplicateOfThePackageIsNotAdded() {
        let ids = PowercapArithmetic.nodeTotalZones([r("intel-rapl:0", "package-0"), r("intel-rapl-mmio:0", "package-0")])
        #expect(ids.map(\.description) == ["intel-rapl:0"])
    }
}
