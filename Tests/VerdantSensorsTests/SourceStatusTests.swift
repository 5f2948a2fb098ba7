import Foundation
import Testing
import VerdantCore
@testable import VerdantSensors

private let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
private let model = CPUPowerModel(idlePower: PowerWatts(0), maxPower: PowerWatts(85), name: "test")

@Suite struct SourceStatusTests {
    func status(_ sensor: NodeSensor, _ name: String) -> SourceStatus? { sensor.sourceStatuses.first { $0.name == name } }

    @Test func missingPowercapRootIsAbsentAndTheEstimateIsUsed() {
        let sensor = NodeSensor(powercapRoot: "/nonexistent/powercap", perfPowerRoot: "/nonexistent/power", model: model)
        #expect(status(sensor, "powercap")?.status == "unavailable: absent")
        #expect(status(sensor, "perf-power")?.status == "unavailable: absent")
        #expect(status(sensor, "estimate")?.status == "in use")
        #expect(sensor.energySource == .estimated)
    }

    @Test func emptyPowercapRootHasNoZones() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let sensor = NodeSensor(powercapRoot: dir.path, model: model)
        #expect(status(sensor, "powercap")?.status == "unavailable: no zones")
        #expect(sensor.energySource == .estimated)
    }

    @Test func recordedTreesAreUsedWhenReadable() {
        let sensor = NodeSensor(powercapRoot: fixtures + "/codecarbon-2020/rapl", model: model)
        #expect(status(sensor, "powercap")?.status == "in use")
        #expect(sensor.energySource == .measured)
        #expect(sensor.sensorNames.count == 5)
        // constraint_0_max_power_uw of package-0 is 15000000 µW: the wrap check uses 15 W for it.
        #expect(sensor.profile.zoneMaximumPower[PowercapZoneID(directoryName: "intel-rapl:0")!] == PowerWatts(15))
    }

    @Test func perfEventsAreParsedAndARefusedOpenIsReported() {
        #expect(PerfPowerSysfs.eventConfig("event=0x02") == 2)
        #expect(PerfPowerSysfs.eventConfig("event=19") == 19)
        #expect(PerfPowerSysfs.eventConfig("umask=0x1") == nil)
        #expect(PerfPowerSysfs.cpuList("0,16\n") == [0, 16])
        #expect(PerfPowerSysfs.cpuList("0-3") == [0, 1, 2, 3])
        let sensor = NodeSensor(powercapRoot: "/nonexistent", perfPowerRoot: fixtures + "/perf-power", model: model)
        let perf = status(sensor, "perf-power")
        #expect(perf?.status.hasPrefix("unavailable") == true)
        #expect(perf?.detail.contains("perf_event_open on CPU 0 failed") == true, "\(String(describing: perf))")
    }

    @Test func absentNVMLLibraryIsNoGPUSourceNotACrash() {
        do {
            _ = try NVMLReader(library: "libnvidia-ml-absent.so.1")
            Issue.record("expected an error")
        } catch let e as SensorError {
            #expect(e.description.contains("libnvidia-ml-absent.so.1"))
        } catch { Issue.record("wrong error \(error)") }
    }
}
