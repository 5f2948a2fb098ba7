import Foundation
import Testing
import VerdantCore
@testable import VerdantDaemon

private let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite struct ConfigurationTests {
    @Test func unknownKeyNamesFileLineAndKey() {
        var c = DaemonConfiguration()
        do {
            try c.apply(yaml: "state-dir: /tmp/x\nreplay-sped: 10\n", file: "verdant.yaml")
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.line == 2)
            #expect(e.description.hasPrefix("verdant.yaml:2: unknown configuration key 'replay-sped'"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func valuesAreTypedAndChecked() throws {
        var c = DaemonConfiguration()
        try c.apply(yaml: "replay-speed: 3600\nsample-interval: 0.2s\nstatic-intensity: 300\nreplay-start: 2020-06-01T00:00:00Z\n", file: "f")
        #expect(c.replaySpeed == 3600)
        #expect(c.sampleIntervalSeconds == 0.2)
        #expect(c.staticIntensity == 300)
        #expect(c.replayStart == ISO8601.parse("2020-06-01T00:00:00Z"))
        #expect(throws: ConfigurationError.self) { try c.apply(yaml: "replay-speed: fast\n", file: "f") }
        #expect(throws: ConfigurationError.self) { try c.apply(yaml: "sample-interval: often\n", file: "f") }
    }

    @Test func embeddedDefaultReplaysTheBundledTrace() throws {
        var c = DaemonConfiguration()
        try c.apply(yaml: DaemonConfiguration.embeddedDefault, file: "embedded")
        #expect(c.replaySpeed == 360)
        #expect(c.intensityTrace == "bundled:de-2020-06_entsoe_15min.csv")
        #expect(FileManager.default.fileExists(atPath: BundledResources.resolve(c.intensityTrace!)))
    }

    @Test func commandLineOverridesTheFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("c.yaml").path
        try "state-dir: /from/file\nreplay-speed: 10\n".write(toFile: file, atomically: true, encoding: .utf8)
        let cmd = try DaemonCommand.parse(["--config", file, "--replay-speed", "3600"])
        let c = try cmd.effectiveConfiguration()
        #expect(c.stateDirectory == "/from/file")
        #expect(c.replaySpeed == 3600)
        #expect(c.intensityTrace == nil)   // a file replaces the embedded default
    }

    @Test func shippedPolicyFileIsTheBuiltInOne() throws {
        let shipped = try String(contentsOf: repoRoot.appendingPathComponent("Policies/default.yaml"), encoding: .utf8)
        #expect(shipped == BundledResources.defaultPolicyText())
        let (policy, deadlines) = try PolicyFile.parse(shipped, file: "Policies/default.yaml")
        #expect(policy.defaults(for: .training).expectedDurationSeconds == 7200)
        #expect(policy.defaults(for: .inference).power == PowerWatts(15))
        #expect(deadlines[.batch] == 43200)
    }

    @Test func policyWithUnknownKindIsRefusedWithItsLine() {
        do {
            _ = try PolicyFile.parse("name: p\nkinds:\n  training:\n    power-watts: 3\n  render:\n    power-watts: 1\n", file: "p.yaml")
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.line == 5)
            #expect(e.message.contains("render"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func estimateFallsBackToEightyFiveWattsForAnUnknownCPU() {
        // The TDP curve: idle 10.04 % of TDP, full load (0.1004 + 0.7289) × TDP.
        let m = Daemon.estimateModel(configuration: DaemonConfiguration(), cpuModel: "AMD EPYC")
        #expect(abs(m.maxPower.watts - 85 * 0.8293) < 1e-9)
        #expect(abs(m.idlePower.watts - 85 * 0.1004) < 1e-9)
        #expect(m.name.hasPrefix("tdp-curve-v1 default TDP 85 W"))
        let known = Daemon.estimateModel(configuration: DaemonConfiguration(), cpuModel: "Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz")
        #expect(abs(known.maxPower.watts - 120 * 0.8293) < 1e-9)   // its TDP in CodeCarbon's table: 120 W
        // estimate-max-watts selects the linear model.
        var c = DaemonConfiguration()
        c.estimateMaxWatts = 60
        c.estimateIdleWatts = 6
        let lin = Daemon.estimateModel(configuration: c, cpuModel: "AMD EPYC")
        #expect(lin.maxPower == PowerWatts(60) && lin.idlePower == PowerWatts(6) && lin.exponent == 1)
    }
}
