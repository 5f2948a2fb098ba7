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

@Suite struct PolicyFileTests {

    @Test func everyShippedPolicyParsesAndIsBundled() throws {
        let names = ["default", "strict-deadline", "max-savings", "inference-immediate"]
        var policies: [SchedulingPolicy] = []
        for n in names {
            let text = try String(contentsOf: repoRoot.appendingPathComponent("Policies/\(n).yaml"), encoding: .utf8)
            let bundled = try String(contentsOf: repoRoot.appendingPathComponent("Sources/VerdantDaemon/Resources/policies/\(n).yaml"), encoding: .utf8)
            #expect(text == bundled, "Policies/\(n).yaml differs from its bundled copy")
            let (p, _) = try PolicyFile.parse(text, file: "Policies/\(n).yaml")
            #expect(p.name == n)
            policies.append(p)
        }
        let strict = policies[1], maxSavings = policies[2], immediate = policies[3]
        #expect(strict.planner.marginSigmas == 3)
        #expect(strict.planner.minimumReplanSaving == 0.05)
        #expect(strict.defaults(for: .batch).minimumSavingFraction == 0.05)
        #expect(maxSavings.defaults(for: .training).interruptible)
        #expect(maxSavings.defaults(for: .inference).maxDelaySeconds == 1800)
        #expect(maxSavings.reservation.cores == 1)
        // The settings of the Germany 2020 replay that reach 75 % (docs/scheduling.md, "75 % reached").
        #expect(maxSavings.planner.minimumReplanSaving == 0.01)
        #expect(maxSavings.planner.hedge == -0.1)
        #expect(maxSavings.planner.forecastDecayHours == 36)
        #expect(policies[0].planner.forecastDecayHours == 24 && policies[0].planner.hedge == 0)
        #expect(immediate.defaults(for: .inference).maxDelaySeconds == 0)
        // Selection: the most specific policy that selects the job.
        func pick(_ kind: JobKind, _ name: String) -> String? {
            SchedulingPolicy.select(from: policies, kind: kind, name: name, user: "alice", uid: 1000)?.name
        }
        #expect(pick(.inference, "resnet") == "inference-immediate")
        #expect(pick(.training, "bert") == "max-savings")
        #expect(pick(.batch, "release-2.1") == "strict-deadline")
        #expect(pick(.inference, "release-x") == "inference-immediate")   // strict-deadline selects batch/training only
        // Reservation: 8 cores less 1.
        let node = NodeCapacity(cores: 8, memoryBytes: 16, gpus: 1, maxConcurrentJobs: 4)
        #expect(maxSavings.available(of: node).cores == 7)
    }

    @Test func badValuesNameFileLineAndField() {
        func error(_ text: String) -> ConfigurationError? {
            do { _ = try PolicyFile.parse(text, file: "p.yaml"); return nil } catch let e as ConfigurationError { return e } catch { return nil }
        }
        let e1 = error("name: p\nplanner:\n  hedge: 150%\n")
        #expect(e1?.file == "p.yaml" && e1?.line == 3 && e1?.message.contains("hedge") == true)
        let e2 = error("name: p\nkinds:\n  training:\n    interruptible: sometimes\n")
        #expect(e2?.line == 4 && e2?.message.contains("interruptible") == true)
        let e3 = error("name: p\napplies-to:\n  kinds: [training, render]\n")
        #expect(e3?.line == 3 && e3?.message.contains("render") == true)
        let e4 = error("name: p\nreservations:\n  gpus: 1.5\n")
        #expect(e4?.line == 3 && e4?.message.contains("gpus") == true)
        let e5 = error("name: p\nplaner:\n  hedge: 0\n")
        #expect(e5?.line == 2 && e5?.message.contains("planer") == true)
        let e6 = error("name: p\nplanner:\n  min-replan-saving: 1%\n  hedge: -1.5\n")
        #expect(e6?.line == 4 && e6?.message.contains("between -1 and 1") == true)
        let e7 = error("name: p\nplanner:\n  forecast-decay: 30m\n")
        #expect(e7?.line == 3 && e7?.message.contains("forecast-decay") == true)
        let e8 = error("name: p\nplanner:\n  forecast-decay: soon\n")
        #expect(e8?.line == 3 && e8?.message.contains("'soon'") == true)
        let e9 = error("name: p\nplanner:\n  hedge: 0.1\n  forecast-decay: 36h\n  hedge: -0.1\n")
        #expect(e9?.line == 3 && e9?.message == "'hedge' is written more than once in the same section (first here); keep one")
        // Accepted: optimistic hedge as a number or a percentage, a decay in any duration syntax.
        let ok = try? PolicyFile.parse("name: p\nplanner:\n  hedge: -10%\n  forecast-decay: 2d\n", file: "p.yaml").policy.planner
        #expect(ok?.hedge == -0.1 && ok?.forecastDecayHours == 48)
    }
}
