import Foundation
import Hummingbird
import Logging
import NIOCore
import Testing
import VerdantAPI
import VerdantCore
@testable import VerdantDaemon

/// Serves Electricity Maps v3 history and forecast around the real now, until told to fail.
actor FlakyElectricityMaps {
    var failing = false
    var requests = 0
    /// The first hour of the last forecast served: the test's expectations follow it, not the clock,
    /// which may pass an hour boundary between the fetch and the check.
    var forecastFrom: Date?
    func setFailing(_ f: Bool) { failing = f }
    func hit() -> Bool { requests += 1; return failing }
    func servedForecast(from: Date) { forecastFrom = from }
}

private func hourStart(_ d: Date) -> Date { Date(timeIntervalSince1970: (d.timeIntervalSince1970 / 3600).rounded(.down) * 3600) }

private func emBody(_ key: String, from: Date, values: [Double?]) -> String {
    let items = values.enumerated().map { i, v in
        "{\"zone\":\"DE\",\"carbonIntensity\":\(v.map { String($0) } ?? "null"),\"datetime\":\"\(ISO8601.string(from.addingTimeInterval(Double(i) * 3600)))\",\"emissionFactorType\":\"lifecycle\"}"
    }
    return "{\"zone\":\"DE\",\"\(key)\":[\(items.joined(separator: ","))],\"updatedAt\":\"\(ISO8601.string(Date()))\"}"
}

@Suite(.serialized) struct IntensityChainTests {
    @Test func failingProviderFallsBackToCacheThenStaticAndStatusSaysSo() async throws {
        let flaky = FlakyElectricityMaps()
        let router = Router()
        @Sendable func answer(_ key: String, _ from: Date, _ values: [Double?]) async -> Response {
            if await flaky.hit() {
                return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"down\"}")))
            }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: emBody(key, from: from, values: values))))
        }
        router.get("/v3/carbon-intensity/history") { _, _ in
            await answer("history", hourStart(Date()).addingTimeInterval(-3 * 3600), [355, 384, nil, 391])
        }
        router.get("/v3/carbon-intensity/forecast") { _, _ in
            // 12 hours ahead; the 6th hour is the cleanest.
            let from = hourStart(Date()).addingTimeInterval(3600)
            let response = await answer("forecast", from, (0..<12).map { $0 == 5 ? 100 : 400 })
            if response.status == .ok { await flaky.servedForecast(from: from) }
            return response
        }
        let (ports, cont) = AsyncStream.makeStream(of: Int.self)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                              onServerRunning: { cont.yield($0.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            var it = ports.makeAsyncIterator()
            let port = await it.next() ?? 0
            defer { group.cancelAll() }

            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-chain-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
            try "em-token\n".write(toFile: dir + "/em-token", atomically: true, encoding: .utf8)
            var c = DaemonConfiguration()
            try c.apply(yaml: """
                state-dir: \(dir)/state
                intensity-zone: DE
                intensity-providers: electricitymaps
                electricitymaps-url: http://127.0.0.1:\(port)
                electricitymaps-token-file: \(dir)/em-token
                intensity-refresh: 0.1s
                intensity-forecast-ttl: 3s
                intensity-backoff-base: 0.1s
                intensity-backoff-cap: 0.2s
                intensity-timeout: 5s
                powercap-root: \(dir)/empty
                cgroup-root: \(dir)/empty
                """, file: "test.yaml")
            var logger = Logger(label: "test")
            logger.logLevel = .critical
            let (runtime, _) = try await Daemon.prepare(configuration: c, logger: logger)
            await runtime.refreshIntensity()   // the first fetch, as IntensityService does once serving
            let caller = Caller(uid: 0, gid: 0, pid: 1)
            func submit() async throws -> JobView {
                try await runtime.submit(SubmitRequest(name: "t", kind: "batch", deadline: "20h", expectedDuration: "1h",
                                                       command: ["true"], workingDirectory: "/", environment: []), caller: caller)
            }

            // 1. The provider answers: plans use it; the cleanest forecast hour is chosen.
            var status = try await runtime.status()
            #expect(status.intensitySource == "electricitymaps")
            #expect(status.intensityKind == "average")
            let j1 = try await submit()
            #expect(j1.intensitySource == "electricitymaps")
            let forecastFrom = try #require(await flaky.forecastFrom, "no forecast was served")
            #expect(j1.plannedStart == forecastFrom.addingTimeInterval(5 * 3600))
            #expect(j1.plannedIntensity == 100)

            // 2. It fails: the cached forecast (younger than the TTL) is used and marked as the cache.
            await flaky.setFailing(true)
            try await Task.sleep(for: .milliseconds(300))
            await runtime.refreshIntensity()
            status = try await runtime.status()
            #expect(status.intensitySource == "cache:electricitymaps")
            let j2 = try await submit()
            #expect(j2.intensitySource == "cache:electricitymaps")
            #expect(j2.plannedIntensity == 100)
            let sources = try await runtime.intensitySources()
            #expect(sources.first?.name == "electricitymaps")
            #expect(sources.first?.health == "backoff" || sources.first?.health == "failing")
            #expect(sources.first?.lastError?.contains("500") == true)
            #expect(sources.contains { $0.name == "cache" && $0.inUse })
            #expect(!(sources.compactMap(\.lastError).joined().contains("em-token")))

            // 3. The cache expires: the static value from the bundled table for DE (2023, 380.95 g).
            try await Task.sleep(for: .milliseconds(3200))
            await runtime.refreshIntensity()
            status = try await runtime.status()
            #expect(status.intensitySource.hasPrefix("static 380.95 gCO2eq/kWh (DEU 2023"))
            #expect(status.intensity == 380.95)
            #expect(status.intensityIsFallback)
            let j3 = try await submit()
            #expect(j3.intensitySource == status.intensitySource)
            #expect(j3.plannedIntensity == 380.95)
            #expect(await flaky.requests >= 4)

            // Every fetched point was kept, the null hour as null.
            let stored = try await runtime.intensity(zone: "DE", since: "6h", until: "1h", forecast: false)
            #expect(stored.map(\.gramsPerKWh) == [355, 384, nil, 391])
            #expect(stored.allSatisfy { $0.source == "electricitymaps" && $0.basis == "lifecycle" })
        }
    }

    @Test func providerKeysAreReadAndCheckedWithTheirLine() throws {
        var c = DaemonConfiguration()
        try c.apply(yaml: "intensity-providers: watttime, uk-carbon-intensity\nintensity-refresh: 5m\nuk-carbon-intensity-region: 13\n", file: "f")
        #expect(c.intensityChain.providers == ["watttime", "uk-carbon-intensity"])
        #expect(c.intensityChain.refreshSeconds == 300)
        #expect(c.intensityChain.ukCarbonIntensityRegion == 13)
        do {
            try c.apply(yaml: "state-dir: /x\nintensity-providers: electricitymap\n", file: "v.yaml")
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.line == 2)
            #expect(e.description.contains("unknown provider 'electricitymap'"))
        }
        let cmd = try DaemonCommand.parse(["--intensity-providers", "electricitymaps", "--static-intensity", "300"])
        let eff = try cmd.effectiveConfiguration()
        #expect(eff.intensityChain.providers == ["electricitymaps"])
        #expect(eff.intensityChain.staticIntensityGiven)
    }

    @Test func credentialsComeFromFileThenSystemdDirectoryThenEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-cred-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try "from-file\n".write(toFile: dir + "/f", atomically: true, encoding: .utf8)
        try "from-systemd\n".write(toFile: dir + "/electricitymaps-token", atomically: true, encoding: .utf8)
        let env = ["CREDENTIALS_DIRECTORY": dir, "VERDANT_ELECTRICITYMAPS_TOKEN": "from-env"]
        #expect(try Credentials.read(file: dir + "/f", credential: "electricitymaps-token", environment: "VERDANT_ELECTRICITYMAPS_TOKEN", processEnvironment: env) == "from-file")
        #expect(try Credentials.read(file: nil, credential: "electricitymaps-token", environment: "VERDANT_ELECTRICITYMAPS_TOKEN", processEnvironment: env) == "from-systemd")
        #expect(try Credentials.read(file: nil, credential: "electricitymaps-token", environment: "VERDANT_ELECTRICITYMAPS_TOKEN",
                                     processEnvironment: ["VERDANT_ELECTRICITYMAPS_TOKEN": "from-env"]) == "from-env")
        #expect(try Credentials.read(file: nil, credential: "x", environment: "Y", processEnvironment: [:]) == nil)
        #expect(throws: ConfigurationError.self) {
            try Credentials.read(file: dir + "/missing", credential: "x", environment: "Y", processEnvironment: [:])
        }
    }
}

@Suite struct FileProviderTests {
    @Test func fileProviderFeedsTheChainAndABadFileStopsStartUp() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-fileprov-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let h0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        let points = (0..<24).map { i in
            "{\"start\": \"\(ISO8601.string(h0.addingTimeInterval(Double(i - 1) * 3600)))\", \"duration_s\": 3600, \"gco2_per_kwh\": \(i == 10 ? "50" : i == 4 ? "null" : "300")}"
        }
        try ("[\n" + points.joined(separator: ",\n") + "\n]\n").write(toFile: dir + "/forecast.json", atomically: true, encoding: .utf8)
        var c = DaemonConfiguration()
        try c.apply(yaml: """
            state-dir: \(dir)/state
            intensity-zone: FR
            intensity-providers: file
            intensity-file: \(dir)/forecast.json
            intensity-file-kind: marginal
            powercap-root: \(dir)/empty
            cgroup-root: \(dir)/empty
            """, file: "t.yaml")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (runtime, _) = try await Daemon.prepare(configuration: c, logger: logger)
        await runtime.refreshIntensity()   // the first fetch, as IntensityService does once serving
        let status = try await runtime.status()
        #expect(status.intensitySource == "file:forecast.json")
        #expect(status.intensityKind == "marginal")
        #expect(status.intensity == 300)
        let job = try await runtime.submit(SubmitRequest(name: "f", kind: "batch", deadline: "20h", expectedDuration: "1h",
                                                         command: ["true"], workingDirectory: "/", environment: []),
                                           caller: Caller(uid: 0, gid: 0, pid: 1))
        #expect(job.plannedStart == h0.addingTimeInterval(9 * 3600))
        #expect(job.plannedIntensity == 50)
        #expect(job.intensityKind == "marginal")

        // A bad file: the daemon refuses to start and names the file and line; no state folder is made.
        try "[\n{\"start\": \"2024-01-01T00:00:00Z\", \"gco2_per_kwh\": -3}\n]\n".write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        var bad = c
        bad.stateDirectory = dir + "/state-bad"
        bad.intensityChain.file = dir + "/bad.json"
        do {
            _ = try await Daemon.prepare(configuration: bad, logger: logger)
            Issue.record("expected an error")
        } catch let e as ConfigurationError {
            #expect(e.description.contains("bad.json:2:"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/state-bad"))
    }

    @Test func aJobRunningThroughAMissingHourIsChargedTheFillRuleAndFlagged() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("verdant-fill-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/empty", withIntermediateDirectories: true)
        let h0 = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        // 355, 384, then null for the current hour, and no data after it.
        let values = ["355", "384", "null"]
        let points = values.enumerated().map { i, v in
            "{\"start\": \"\(ISO8601.string(h0.addingTimeInterval(Double(i - 2) * 3600)))\", \"duration_s\": 3600, \"gco2_per_kwh\": \(v)}"
        }
        try ("[\n" + points.joined(separator: ",\n") + "\n]\n").write(toFile: dir + "/f.json", atomically: true, encoding: .utf8)
        var c = DaemonConfiguration()
        try c.apply(yaml: """
            state-dir: \(dir)/state
            intensity-zone: DE
            intensity-providers: file
            intensity-file: \(dir)/f.json
            powercap-root: \(dir)/empty
            cgroup-root: \(dir)/empty
            """, file: "t.yaml")
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let (runtime, _) = try await Daemon.prepare(configuration: c, logger: logger)
        await runtime.refreshIntensity()   // the first fetch, as IntensityService does once serving
        let status = try await runtime.status()
        #expect(abs(status.intensity - (355 + 384) / 2) < 1e-9)   // the fill rule: mean of the known hours, never 0
        // No window of the data holds the run: the planner runs it at its latest start (issue 6), reason
        // `no-forecast`. A deadline with no slack (11 min for 10 ± 5 min at 2σ) makes that now.
        let job = try await runtime.submit(SubmitRequest(name: "fill", kind: "batch", deadline: "11m", expectedDuration: "10m",
                                                         command: ["sh", "-c", "sleep 0.3"], workingDirectory: "/", environment: []),
                                           caller: Caller(uid: 0, gid: 0, pid: 1))
        #expect(job.planReason == "no-forecast")
        #expect(job.plannedStart == job.latestStart)
        #expect(job.plannedStart.timeIntervalSince(job.submittedAt) < 5)
        _ = await runtime.startDueJobs()
        var done: JobView?
        for _ in 0..<100 {
            try await Task.sleep(for: .milliseconds(100))
            let j = try await runtime.job(id: job.id, caller: Caller(uid: 0, gid: 0, pid: 1))
            if j.state != "queued" && j.state != "running" { done = j; break }
        }
        let finished = try #require(done)
        #expect(finished.state == "succeeded")
        #expect((finished.intensityFilledSeconds ?? 0) > 0.2)
        if let e = finished.energyJoules, let g = finished.carbonGrams, e > 0 {
            #expect(abs(g - e / 3_600_000 * (355 + 384) / 2) < 1e-6 * max(1, g))
        }
    }
}
