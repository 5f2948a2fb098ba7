import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Testing
import VerdantCarbon
import VerdantCarbonProviders
import VerdantCore

// Responses written from each provider's public API reference (Electricity Maps API v3, WattTime API v3,
// NESO Carbon Intensity API, GSF Carbon Aware SDK WebAPI).

let emHistoryWithNull = """
    {"zone":"DE","history":[
     {"zone":"DE","carbonIntensity":355,"datetime":"2024-03-01T00:00:00.000Z","updatedAt":"2024-03-01T05:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":false},
     {"zone":"DE","carbonIntensity":384,"datetime":"2024-03-01T01:00:00.000Z","updatedAt":"2024-03-01T05:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":false},
     {"zone":"DE","carbonIntensity":null,"datetime":"2024-03-01T02:00:00.000Z","updatedAt":"2024-03-01T05:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":null},
     {"zone":"DE","carbonIntensity":391,"datetime":"2024-03-01T03:00:00.000Z","updatedAt":"2024-03-01T05:00:00.000Z","emissionFactorType":"lifecycle","isEstimated":false}]}
    """

let emForecast = """
    {"zone":"DE","forecast":[{"carbonIntensity":370,"datetime":"2024-03-01T04:00:00.000Z"},{"carbonIntensity":360,"datetime":"2024-03-01T05:00:00.000Z"}],"updatedAt":"2024-03-01T03:30:00.000Z"}
    """

func watttimeBody(points: [(String, Double)], forecast: Bool) -> String {
    let data = points.map { "{\"point_time\":\"\($0.0)\",\"value\":\($0.1)}" }.joined(separator: ",")
    let gen = forecast ? ",\"generated_at\":\"2024-03-01T03:55:00+00:00\",\"generated_at_period_seconds\":300" : ""
    return "{\"data\":[\(data)],\"meta\":{\"data_point_period_seconds\":300,\"region\":\"CAISO_NORTH\",\"signal_type\":\"co2_moer\",\"units\":\"lbs_co2_per_mwh\",\"warnings\":[],\"model\":{\"date\":\"2023-03-01\",\"type\":\"binned_regression\"}\(gen)}}"
}

/// 31 half-hour periods of a "48 h" forecast from `from`, as `/intensity/{from}/fw48h` returns them.
func ukForecast31(from: Date) -> String {
    let periods = (0..<31).map { i -> String in
        let a = from.addingTimeInterval(Double(i) * 1800), b = a.addingTimeInterval(1800)
        func t(_ d: Date) -> String { String(ISO8601.string(d).prefix(16)) + "Z" }
        return "{\"from\":\"\(t(a))\",\"to\":\"\(t(b))\",\"intensity\":{\"forecast\":\(250 - i * 4),\"actual\":null,\"index\":\"moderate\"}}"
    }
    return "{\"data\":[\(periods.joined(separator: ","))]}"
}

@Suite struct ProviderFormatTests {
    let now = ISO8601.parse("2024-03-01T04:00:00Z")!

    @Test func electricityMapsHistoryKeepsTheNullHourMissing() throws {
        let slots = try ElectricityMapsFormat.slots(Data(emHistoryWithNull.utf8), zone: "DE", fetchedAt: now)
        #expect(slots.map { $0.value?.gramsPerKWh } == [355, 384, nil, 391])
        #expect(slots.allSatisfy { $0.kind == .average && $0.basis == .lifecycle && $0.issuedAt == nil && $0.durationSeconds == 3600 })
        let f = try ElectricityMapsFormat.slots(Data(emForecast.utf8), zone: "DE", fetchedAt: now)
        #expect(f.map(\.issuedAt) == [ISO8601.parse("2024-03-01T03:30:00Z"), ISO8601.parse("2024-03-01T03:30:00Z")])
        #expect(throws: IntensityProviderError.self) { try ElectricityMapsFormat.slots(Data("{}".utf8), zone: "DE", fetchedAt: now) }
    }

    @Test func wattTimeLbsPerMWhAreConvertedAtTheBoundary() throws {
        let body = watttimeBody(points: [("2024-03-01T04:00:00+00:00", 1000), ("2024-03-01T04:05:00+00:00", 0)], forecast: true)
        let slots = try WattTimeFormat.slots(Data(body.utf8), forecast: true, zone: "CAISO_NORTH", fetchedAt: now)
        #expect(slots.count == 2)
        #expect(abs(slots[0].value!.gramsPerKWh - 453.59237) < 1e-9)
        #expect(slots[1].value == IntensityGramsPerKWh(0))   // a real 0 stays 0; only null is missing
        #expect(slots.allSatisfy { $0.kind == .marginal && $0.durationSeconds == 300 && $0.zone == "CAISO_NORTH" })
        #expect(slots[0].issuedAt == ISO8601.parse("2024-03-01T03:55:00Z"))
        #expect(try WattTimeFormat.token(Data("{\"token\":\"abc\"}".utf8)) == "abc")
    }

    @Test func ukActualsAndForecastsAreSeparateSlots() throws {
        let body = """
            {"data":[{"from":"2024-03-01T03:00Z","to":"2024-03-01T03:30Z","intensity":{"forecast":266,"actual":263,"index":"moderate"}},
                     {"from":"2024-03-01T03:30Z","to":"2024-03-01T04:00Z","intensity":{"forecast":270,"actual":null,"index":"moderate"}},
                     {"from":"2024-03-01T04:00Z","to":"2024-03-01T04:30Z","intensity":{"forecast":280,"index":"high"}}]}
            """
        let slots = try UKCarbonIntensityFormat.slots(Data(body.utf8), zone: "GB", fetchedAt: now)
        let actuals = slots.filter { !$0.isForecast }, forecasts = slots.filter(\.isForecast)
        #expect(actuals.map { $0.value?.gramsPerKWh } == [263, nil])
        #expect(forecasts.map { $0.value?.gramsPerKWh } == [266, 270, 280])
        #expect(slots.allSatisfy { $0.durationSeconds == 1800 })
        #expect(actuals.first?.start == ISO8601.parse("2024-03-01T03:00:00Z"))
        let regional = "{\"data\":[{\"regionid\":13,\"shortname\":\"London\",\"data\":[{\"from\":\"2024-03-01T04:00Z\",\"to\":\"2024-03-01T04:30Z\",\"intensity\":{\"forecast\":150,\"index\":\"low\"}}]}]}"
        #expect(try UKCarbonIntensityFormat.slots(Data(regional.utf8), zone: "GB-13", fetchedAt: now).map { $0.value?.gramsPerKWh } == [150])
    }

    @Test func carbonAwareSDKForecastUsesMinutesAndGeneratedAt() throws {
        let body = """
            [{"generatedAt":"2024-03-01T03:55:00Z","requestedAt":"2024-03-01T04:00:00Z","location":"eastus","dataStartAt":"2024-03-01T04:00:00Z","dataEndAt":"2024-03-01T04:10:00Z","windowSize":5,
              "optimalDataPoints":[{"location":"eastus","timestamp":"2024-03-01T04:05:00Z","duration":5,"value":120.5}],
              "forecastData":[{"location":"eastus","timestamp":"2024-03-01T04:00:00Z","duration":5,"value":130.0},{"location":"eastus","timestamp":"2024-03-01T04:05:00Z","duration":5,"value":120.5}]}]
            """
        let slots = try CarbonAwareSDKFormat.slots(Data(body.utf8), zone: "eastus", kind: .marginal, fetchedAt: now)
        #expect(slots.map { $0.value?.gramsPerKWh } == [130, 120.5])
        #expect(slots.allSatisfy { $0.durationSeconds == 300 && $0.issuedAt == ISO8601.parse("2024-03-01T03:55:00Z") })
    }

    @Test func staticTableHasSourceYearAndISOCodes() throws {
        let table = try StaticIntensityTable(csv: "iso3,iso2,country,gco2_per_kwh,year\nDEU,DE,Germany,380.95,2023\nGBR,GB,United Kingdom,237.589,2023\n")
        #expect(table.lookup(zone: "DE")?.intensity == IntensityGramsPerKWh(380.95))
        #expect(table.lookup(zone: "deu")?.year == 2023)
        #expect(table.lookup(zone: "GB-13")?.country == "United Kingdom")
        #expect(table.lookup(zone: "XX") == nil)
    }
}

/// A loopback HTTP server (Hummingbird, 127.0.0.1, ephemeral port) for the duration of `body`.
func withProviderServer(_ configure: (Router<BasicRequestContext>) -> Void,
                        _ body: @Sendable (String) async throws -> Void) async throws {
    let router = Router()
    configure(router)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                          onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await app.runService(gracefulShutdownSignals: []) }
        var it = ports.makeAsyncIterator()
        let port = await it.next() ?? 0
        do {
            try await body("http://127.0.0.1:\(port)")
        } catch {
            group.cancelAll()
            throw error
        }
        group.cancelAll()
    }
}

func jsonResponse(_ text: String, _ status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
}

actor Counter {
    var n = 0
    func next() -> Int { n += 1; return n }
}

@Suite(.serialized) struct ProviderHTTPTests {
    let now = ISO8601.parse("2024-03-01T04:00:00Z")!

    @Test func http500IsAnErrorWithItsStatus() async throws {
        try await withProviderServer({ r in
            r.get("/v3/carbon-intensity/history") { _, _ in jsonResponse("{\"error\":\"boom\"}", .internalServerError) }
            r.get("/v3/carbon-intensity/forecast") { _, _ in jsonResponse("{\"error\":\"boom\"}", .internalServerError) }
        }) { base in
            let p = ElectricityMapsProvider(baseURL: base, token: "secret-token", timeoutSeconds: 5)
            do {
                _ = try await p.fetch(zone: "DE", now: now)
                Issue.record("expected an error")
            } catch let e as IntensityProviderError {
                #expect(e.status == 500)
                #expect(!e.description.contains("secret-token"))
            }
        }
    }

    @Test func http200WithEmptyObjectIsAnError() async throws {
        try await withProviderServer({ r in
            r.get("/v3/carbon-intensity/history") { _, _ in jsonResponse("{}") }
            r.get("/v3/carbon-intensity/forecast") { _, _ in jsonResponse("{}") }
        }) { base in
            await #expect(throws: IntensityProviderError.self) {
                try await ElectricityMapsProvider(baseURL: base, token: "t", timeoutSeconds: 5).fetch(zone: "DE", now: now)
            }
        }
    }

    @Test func electricityMapsSendsTheTokenAndTheNullHourIsNeverChosen() async throws {
        let t0 = ISO8601.parse("2024-03-01T00:00:00Z")!
        try await withProviderServer({ r in
            r.get("/v3/carbon-intensity/history") { req, _ in
                req.headers.first(where: { $0.name.canonicalName == "auth-token" })?.value == "em-token" && req.uri.queryParameters.get("zone") == "DE"
                    ? jsonResponse(emHistoryWithNull) : jsonResponse("{\"error\":\"unauthorized\"}", .unauthorized)
            }
            r.get("/v3/carbon-intensity/forecast") { _, _ in jsonResponse("{}", .internalServerError) }
        }) { base in
            let slots = try await ElectricityMapsProvider(baseURL: base, token: "em-token", timeoutSeconds: 5).fetch(zone: "DE", now: now)
            #expect(slots.map { $0.value?.gramsPerKWh } == [355, 384, nil, 391])
            let s = IntensitySlotSeries(slots: slots, fallback: IntensityGramsPerKWh(480))
            let fill = s.fillValue(from: t0.addingTimeInterval(7200), to: t0.addingTimeInterval(10800))!.gramsPerKWh
            #expect((fill * 100).rounded() / 100 == 376.67)
            for start in stride(from: 0.0, through: 3, by: 1) {
                let p = try Planner.plan(now: t0.addingTimeInterval(start * 3600), deadline: t0.addingTimeInterval(4 * 3600),
                                         expectedDurationSeconds: 3600, expectedEnergy: EnergyJoules(3_600_000), slots: s)
                #expect(p.plan.plannedStart != t0.addingTimeInterval(7200))
            }
        }
    }

    @Test func expiredWattTimeTokenLogsInAgainAndOneKWhCosts453Grams() async throws {
        let logins = Counter()
        try await withProviderServer({ r in
            r.get("/login") { req, _ in
                let expected = "Basic " + Data("user:pass".utf8).base64EncodedString()
                guard req.headers[.authorization] == expected else { return jsonResponse("{}", .unauthorized) }
                let n = await logins.next()
                return jsonResponse("{\"token\":\"token-\(n)\"}")
            }
            r.get("/v3/forecast") { req, _ in
                guard req.headers[.authorization] == "Bearer token-2", req.uri.queryParameters.get("signal_type") == "co2_moer" else {
                    return jsonResponse("{\"error\":\"token expired\"}", .unauthorized)
                }
                return jsonResponse(watttimeBody(points: [("2024-03-01T04:00:00+00:00", 1000), ("2024-03-01T04:05:00+00:00", 1000)], forecast: true))
            }
            r.get("/v3/historical") { req, _ in
                req.headers[.authorization] == "Bearer token-2"
                    ? jsonResponse(watttimeBody(points: [("2024-03-01T03:55:00+00:00", 900)], forecast: false))
                    : jsonResponse("{}", .unauthorized)
            }
        }) { base in
            let p = WattTimeProvider(baseURL: base, username: "user", password: "pass", timeoutSeconds: 5)
            let slots = try await p.fetch(zone: "CAISO_NORTH", now: now)
            #expect(await p.logins == 2)
            let forecast = slots.filter(\.isForecast)
            #expect(forecast.count == 2)
            #expect(abs(forecast[0].value!.gramsPerKWh - 453.59) < 0.005)
            let s = IntensitySlotSeries(slots: forecast, fallback: IntensityGramsPerKWh(480))
            let mean = s.filledSeries().meanIntensity(from: now, to: now.addingTimeInterval(600))
            let g = CarbonGrams(energy: EnergyJoules(3_600_000), intensity: mean).grams
            #expect((g * 100).rounded() / 100 == 453.59)
        }
    }

    @Test func ukForecastStoppingAfter31HalfHoursOnlyCoversThoseWindows() async throws {
        try await withProviderServer({ r in
            r.get("/intensity/:from/fw48h") { _, _ in jsonResponse(ukForecast31(from: ISO8601.parse("2024-03-01T04:00:00Z")!)) }
            r.get("/intensity/:from/pt24h") { _, _ in jsonResponse("oops", .internalServerError) }
        }) { base in
            let slots = try await UKCarbonIntensityProvider(baseURL: base, timeoutSeconds: 5).fetch(zone: "GB", now: now)
            #expect(slots.count == 31)
            #expect(slots.allSatisfy { $0.isForecast })
            let s = IntensitySlotSeries(slots: slots, fallback: IntensityGramsPerKWh(1))
            #expect(s.end == now.addingTimeInterval(31 * 1800))
            let p = try Planner.plan(now: now, deadline: now.addingTimeInterval(48 * 3600), expectedDurationSeconds: 3 * 3600,
                                     expectedEnergy: EnergyJoules(3_600_000), slots: s)
            #expect(p.coveredByData)
            #expect(p.plan.plannedStart == now.addingTimeInterval(31 * 1800 - 3 * 3600))
        }
    }

    @Test func carbonAwareSDKCurrentForecastOverHTTP() async throws {
        try await withProviderServer({ r in
            r.get("/emissions/forecasts/current") { req, _ in
                let loc = req.uri.queryParameters.get("location") ?? "?"
                return jsonResponse("[{\"generatedAt\":\"2024-03-01T03:55:00Z\",\"location\":\"\(loc)\",\"forecastData\":[{\"location\":\"\(loc)\",\"timestamp\":\"2024-03-01T04:00:00Z\",\"duration\":5,\"value\":99.5}]}]")
            }
        }) { base in
            let slots = try await CarbonAwareSDKProvider(baseURL: base, kind: .marginal, timeoutSeconds: 5).fetch(zone: "eastus", now: now)
            #expect(slots.map(\.zone) == ["eastus"])
            #expect(slots.map { $0.value?.gramsPerKWh } == [99.5])
        }
    }
}
