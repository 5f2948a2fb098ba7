import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import ServiceLifecycle
import Testing
import VerdantMetrics
@testable import VerdantDaemon
@testable import VerdantServer

@Suite(.serialized) struct MetricsTests {
    /// Metrics after two zone intervals, a running job and a finished one.
    func populated() -> VerdantMetrics {
        let m = VerdantMetrics()
        m.recordZoneInterval(zone: "intel-rapl:0", source: "measured", energyJoules: 20, seconds: 2)
        m.recordZoneInterval(zone: "intel-rapl:0", source: "measured", energyJoules: 30, seconds: 1)
        m.recordZoneInterval(zone: "intel-rapl:0:0", source: "measured", energyJoules: nil, seconds: 1)
        m.sampleTaken(at: Date(timeIntervalSince1970: 1_591_000_000))
        m.samplerError()
        m.jobStarted(delaySeconds: 7200)
        m.jobInterval(id: 7, name: "train \"big\"", kind: "training", energyJoules: 40, carbonGrams: 0.005)
        m.jobInterval(id: 7, name: "train \"big\"", kind: "training", energyJoules: 2, carbonGrams: 0.001)
        m.jobInterval(id: 8, name: "infer", kind: "inference", energyJoules: 1, carbonGrams: 0.0002)
        m.jobEnded(id: 8, carbonSavedGrams: 0.25)
        m.setGauges(jobCounts: ["queued": 3, "running": 1, "succeeded": 5], queued: 3, zone: "DE", source: "trace:de.csv",
                    kind: "average", intensityGramsPerKWh: 360, ageSeconds: 90)
        return m
    }

    @Test func valuesAreInBaseUnitsAndPerJobSeriesGoWhenTheJobEnds() {
        let text = populated().exposition()
        let lines = Set(text.split(separator: "\n").map(String.init))
        #expect(lines.contains(#"verdant_node_energy_joules_total{zone="intel-rapl:0",source="measured"} 50.0"#))
        #expect(lines.contains(#"verdant_node_power_watts{zone="intel-rapl:0",source="measured"} 30.0"#))
        #expect(lines.contains("verdant_job_deferred_seconds_total 7200.0"))
        #expect(lines.contains("verdant_carbon_saved_grams 0.25"))
        #expect(lines.contains("verdant_queue_length 3.0"))
        #expect(lines.contains(#"verdant_jobs{state="succeeded"} 5.0"#))
        #expect(lines.contains("verdant_sampler_errors_total 1"))
        // 360 g/kWh = 360 / 3.6e6 g/J = 1e-4 g/J.
        #expect(lines.contains(#"verdant_grid_intensity_grams_per_joule{zone="DE",source="trace:de.csv",kind="average"} 0.0001"#))
        #expect(text.contains(#"job_id="7""#))
        #expect(text.contains(#"verdant_job_energy_joules_total{job_id="7",job_name="train \"big\"",kind="training"} 42.0"#))
        #expect(!text.contains(#"job_id="8""#))     // ended: its series are gone
    }

    @Test func anIntensitySourceChangeReplacesTheSeries() {
        let m = populated()
        m.setGauges(jobCounts: [:], queued: 0, zone: "DE", source: "electricitymaps", kind: "marginal", intensityGramsPerKWh: 720, ageSeconds: nil)
        let text = m.exposition()
        #expect(!text.contains("trace:de.csv"))
        #expect(text.contains(#"verdant_grid_intensity_grams_per_joule{zone="DE",source="electricitymaps",kind="marginal"} 0.0002"#))
    }

    @Test func promtoolAcceptsTheExposition() throws {
        guard let r = try runTool("promtool", ["check", "metrics"], stdin: populated().exposition()) else {
            Issue.record("promtool is not installed: run scripts/install-deps (Debian package prometheus); CI installs it")
            return
        }
        #expect(r.status == 0, "promtool: \(r.stdout)\(r.stderr)")
    }

    @Test func theMetricsServerAnswersOnLoopbackTCP() async throws {
        let m = populated()
        let port = Int.random(in: 20000...40000)
        let app = MetricsServer.application(host: "127.0.0.1", port: port, logger: Logger(label: "test"),
                                            render: { m.exposition() })
        try await withThrowingTaskGroup(of: Void.self) { group in
            let sg = ServiceGroup(configuration: .init(services: [app], logger: Logger(label: "test")))
            group.addTask { try await sg.run() }
            var body = ""
            var status = 0
            for _ in 0..<50 {
                if let (data, resp) = try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/metrics")!) {
                    body = String(decoding: data, as: UTF8.self)
                    status = (resp as? HTTPURLResponse)?.statusCode ?? 0
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(status == 200)
            #expect(body.contains("verdant_node_energy_joules_total"))
            let (_, missing) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/other")!)
            #expect((missing as? HTTPURLResponse)?.statusCode == 404)
            await sg.triggerGracefulShutdown()
            group.cancelAll()
        }
    }

    @Test func theMetricsAddressMustBeLoopback() throws {
        #expect(DaemonConfiguration.isLoopbackAddress("127.0.0.1:9464"))
        #expect(DaemonConfiguration.isLoopbackAddress("[::1]:9464"))
        #expect(DaemonConfiguration.isLoopbackAddress("localhost:9464"))
        #expect(!DaemonConfiguration.isLoopbackAddress("0.0.0.0:9464"))
        #expect(!DaemonConfiguration.isLoopbackAddress("192.168.1.2:9464"))
        #expect(!DaemonConfiguration.isLoopbackAddress("127.0.0.1"))
        var c = DaemonConfiguration()
        try c.apply(yaml: "metrics-address: 127.0.0.1:9464\nmetrics-textfile: /var/lib/node_exporter/verdant.prom\nraw-retention: 3d\n", file: "f")
        #expect(c.metricsAddress == "127.0.0.1:9464")
        #expect(c.rawRetentionSeconds == 3 * 86400)
        do {
            try c.apply(yaml: "state-dir: x\nmetrics-address: 0.0.0.0:9464\n", file: "v.yaml")
            Issue.record("a non-loopback address was accepted")
        } catch let e as ConfigurationError {
            #expect(e.description.hasPrefix("v.yaml:2:"))
        }
    }
}

@Suite struct GrafanaDashboardTests {
    /// Metric names in a text: `verdant_` followed by name characters.
    static func names(in text: String) -> Set<String> {
        let re = try! NSRegularExpression(pattern: "verdant_[a-z_]+")
        return Set(re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) })
    }

    @Test func theDashboardUsesExactlyTheExportedMetrics() throws {
        let json = try String(contentsOf: repositoryRoot.appendingPathComponent("docs/grafana/verdant.json"), encoding: .utf8)
        let dashboard = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let exprs = panels.flatMap { ($0["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String } }
        let used = Self.names(in: exprs.joined(separator: "\n"))
        // Every metric the daemon exports, with a per-job series present so those names appear too.
        let m = VerdantMetrics()
        m.recordZoneInterval(zone: "z", source: "measured", energyJoules: 1, seconds: 1)
        m.jobInterval(id: 1, name: "j", kind: "batch", energyJoules: 1, carbonGrams: 1)
        m.setGauges(jobCounts: [:], queued: 0, zone: "DE", source: "s", kind: "average", intensityGramsPerKWh: 1, ageSeconds: 1)
        let exported = Set(m.exposition().split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }
            .map { String($0.split(separator: " ")[2]) })
        #expect(exported.count == 14)
        #expect(used == exported, "only in the dashboard: \(used.subtracting(exported)); not in it: \(exported.subtracting(used))")
    }
}
