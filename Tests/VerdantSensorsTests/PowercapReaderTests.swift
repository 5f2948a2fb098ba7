import Foundation
import Testing
import VerdantCore
@testable import VerdantSensors

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

@Suite struct PowercapReaderTests {
    func readAll(_ root: String) throws -> [PowercapZoneReading] {
        let reader = PowercapReader(root: root)
        return try reader.read(reader.discover().zones)
    }

    @Test func twoPackagesWithSubZonesAndAWrapGiveHandComputedJoules() throws {
        let t0 = try readAll(fixtures + "/two-socket/t0")
        let t1 = try readAll(fixtures + "/two-socket/t1")
        #expect(t0.map(\.id.description) == ["intel-rapl:0", "intel-rapl:0:0", "intel-rapl:0:1", "intel-rapl:0:2", "intel-rapl:1", "intel-rapl:1:0"])
        let d = IntervalArithmetic.zoneIntervals(from: t0, to: t1, elapsedSeconds: 10)
        func j(_ id: String) -> Double? { d.first { $0.id == PowercapZoneID(directoryName: id)! }?.energy?.joules }
        #expect(j("intel-rapl:0") == 12.345678)          // 52662228899 − 52649883221 µJ
        #expect(j("intel-rapl:0:0") == 8.0)
        #expect(j("intel-rapl:0:1") == 1.0)
        #expect(j("intel-rapl:0:2") == 2.5)
        // package-1 wrapped: (262143328850 − 240422366267) + 3000000 = 21723962583 µJ.
        #expect(j("intel-rapl:1") == 21723.962583)
        #expect(j("intel-rapl:1:0") == 5.0)
        // Host: packages 0 and 1, plus dram; core and uncore are inside the packages.
        let host = HostEnergyRule.hostEnergy(IntervalArithmetic.zoneIntervals(from: t0, to: t1, elapsedSeconds: 10), cpuVendorIsAMD: false)
        #expect(abs(try #require(host.cpuPackage).joules - (12.345678 + 21723.962583)) < 1e-6)
        #expect(host.dram == EnergyJoules(2.5))
        #expect(abs(try #require(host.cpuTotal).joules - (12.345678 + 2.5 + 21723.962583)) < 1e-6)
    }

    @Test func nestedLaptopTreeIsFoundAndPsysIsTheNodeTotal() throws {
        let readings = try readAll(fixtures + "/codecarbon-2020/rapl")
        #expect(readings.map(\.name) == ["package-0", "core", "uncore", "dram", "psys"])
        #expect(readings.first?.energyMicrojoules == 52_649_883_221)
        #expect(readings.first?.maxEnergyRangeMicrojoules == 262_143_328_850)
        // Over one interval where every zone moved by 1 J: platform (psys) is on its own, never added.
        let later = readings.map { PowercapZoneReading(id: $0.id, name: $0.name, energyMicrojoules: $0.energyMicrojoules + 1_000_000, maxEnergyRangeMicrojoules: $0.maxEnergyRangeMicrojoules) }
        let host = HostEnergyRule.hostEnergy(IntervalArithmetic.zoneIntervals(from: readings, to: later, elapsedSeconds: 1), cpuVendorIsAMD: false)
        #expect(host.cpuPackage == EnergyJoules(1))
        #expect(host.dram == EnergyJoules(1))
        #expect(host.platform == EnergyJoules(1))
    }

    @Test func keplerTreeSkipsTheInvalidZoneAndKeepsMmioApart() throws {
        let readings = try readAll(fixtures + "/kepler/sys/class/powercap")
        #expect(readings.map(\.id.description) == ["intel-rapl:0", "intel-rapl:0:0", "intel-rapl-mmio:0"])
        let later = readings.map { PowercapZoneReading(id: $0.id, name: $0.name, energyMicrojoules: $0.energyMicrojoules + 2_000_000, maxEnergyRangeMicrojoules: $0.maxEnergyRangeMicrojoules) }
        let host = HostEnergyRule.hostEnergy(IntervalArithmetic.zoneIntervals(from: readings, to: later, elapsedSeconds: 1), cpuVendorIsAMD: false)
        #expect(host.cpuPackage == EnergyJoules(2))   // the MMIO mirror is not added
    }

    @Test func unreadableZonesAreReportedNotZeroed() {
        let (zones, problems) = PowercapReader(root: fixtures + "/broken").discover()
        #expect(zones.map(\.id.description) == ["intel-rapl:2"])
        #expect(problems.count == 2)
        #expect(problems.contains { $0.contains("intel-rapl:0") && $0.contains("empty file") })
        #expect(problems.contains { $0.contains("intel-rapl:1") && $0.contains("notanumber") })
    }

    @Test func missingRootMeansEstimateOnThisMachine() throws {
        let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")
        let sensor = NodeSensor(powercapRoot: "/nonexistent/powercap", model: model)
        #expect(sensor.energySource == .estimated)
        // The real /proc of this machine: CPU time only grows.
        let a = try sensor.read()
        var x = 0.0
        for i in 0..<2_000_000 { x += Double(i).squareRoot() }
        let b = try sensor.read()
        #expect(x > 0)
        #expect(b.cpu.busySeconds >= a.cpu.busySeconds)
        #expect(b.monotonicNanos > a.monotonicNanos)
        #expect(a.zones.isEmpty)
    }

    @Test func tdpTableMatchesByWholeWords() {
        let csv = "Name,TDP\nAMD EPYC 7502,180\nAMD EPYC 7502P,180.0\nXeon E5-2620 v3,85\nCeleron 27,27.29.5\n"
        #expect(TDPTable.lookup(modelName: "AMD EPYC 7502 32-Core Processor", csv: csv) == PowerWatts(180))
        #expect(TDPTable.lookup(modelName: "Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz", csv: csv) == PowerWatts(85))
        #expect(TDPTable.lookup(modelName: "AMD EPYC", csv: csv) == nil)
    }
}
