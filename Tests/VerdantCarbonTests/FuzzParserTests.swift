import Foundation
import Testing
import VerdantTestSupport
import VerdantCarbon
import VerdantCore

// The mutator `FuzzRandom` lives in Tests/VerdantTestSupport (shared with VerdantDaemonTests).

/// Fuzz targets: provider response parsers and the intensity import (CSV and JSON).
@Suite struct FuzzParserTests {
    let now = ISO8601.parse("2024-01-01T00:00:00Z")!

    func fuzz(_ salt: UInt64, seeds: [String], _ body: (Data) throws -> Void, accepts: (any Error) -> Bool) -> (ok: Int, rejected: Int) {
        var rng = FuzzRandom(salt)
        let bytes = seeds.map { Array($0.utf8) }
        var ok = 0, rejected = 0
        for i in 0..<FuzzRandom.runs {
            let input = i < bytes.count ? bytes[i] : rng.mutate(bytes[rng.below(bytes.count)], other: bytes[rng.below(bytes.count)])
            do {
                try body(Data(input))
                ok += 1
            } catch {
                rejected += 1
                #expect(accepts(error) && !"\(error)".isEmpty, "run \(i): unexpected \(type(of: error)): \(error)\ninput: \(String(decoding: input.prefix(300), as: UTF8.self))")
            }
        }
        // The valid seed parses: the runs exercise the parser, not only its first check.
        #expect(ok >= 1)
        return (ok, rejected)
    }

    static let adversarial = [String(repeating: "[", count: 100_000), String(repeating: "{\"a\":", count: 20_000), "", "\u{0}"]

    @Test func providerParsersNeverCrash() throws {
        let em = [emForecast, emHistoryWithNull] + Self.adversarial
        let r1 = fuzz(1, seeds: em, { _ = try ElectricityMapsFormat.slots($0, zone: "DE", fetchedAt: now) }, accepts: { $0 is IntensityProviderError })
        let wt = [#"{"data":[{"point_time":"2024-01-01T00:00:00+00:00","value":850.5},{"point_time":"2024-01-01T00:05:00+00:00","value":900}],"meta":{"region":"CAISO_NORTH","signal_type":"co2_moer","units":"lbs_co2_per_mwh"}}"#] + Self.adversarial
        let r2 = fuzz(2, seeds: wt, { _ = try WattTimeFormat.slots($0, forecast: false, zone: "CAISO_NORTH", fetchedAt: now) }, accepts: { $0 is IntensityProviderError })
        let r3 = fuzz(3, seeds: [#"{"token":"abc"}"#] + Self.adversarial, { _ = try WattTimeFormat.token($0) }, accepts: { $0 is IntensityProviderError })
        let uk = [#"{"data":[{"from":"2024-01-01T00:00Z","to":"2024-01-01T00:30Z","intensity":{"forecast":120,"actual":118,"index":"low"}},{"from":"2024-01-01T00:30Z","to":"2024-01-01T01:00Z","intensity":{"forecast":130,"actual":null,"index":"low"}}]}"#] + Self.adversarial
        let r4 = fuzz(4, seeds: uk, { _ = try UKCarbonIntensityFormat.slots($0, zone: "GB", fetchedAt: now) }, accepts: { $0 is IntensityProviderError })
        let sdk = #"[{"generatedAt":"2024-03-01T03:55:00Z","requestedAt":"2024-03-01T04:00:00Z","location":"eastus","dataStartAt":"2024-03-01T04:00:00Z","dataEndAt":"2024-03-01T04:10:00Z","windowSize":5,"optimalDataPoints":[{"location":"eastus","timestamp":"2024-03-01T04:05:00Z","duration":5,"value":120.5}],"forecastData":[{"location":"eastus","timestamp":"2024-03-01T04:00:00Z","duration":5,"value":130.0},{"location":"eastus","timestamp":"2024-03-01T04:05:00Z","duration":5,"value":120.5}]}]"#
        let r5 = fuzz(5, seeds: [sdk] + Self.adversarial, { _ = try CarbonAwareSDKFormat.slots($0, zone: "eastus", kind: .marginal, fetchedAt: now) }, accepts: { $0 is IntensityProviderError })
        print("fuzz providers (\(FuzzRandom.runs) runs each, seed \(FuzzRandom.seed)): electricitymaps \(r1), watttime \(r2), watttime-login \(r3), uk \(r4), carbon-aware-sdk \(r5) (parsed, rejected)")
    }

    @Test func intensityImportNeverCrashesAndRejectsWhole() throws {
        let csv = ["time,DE\n2020-06-01 00:00:00,300\n2020-06-01 00:15:00,310\n2020-06-01 00:30:00,\n2020-06-01 00:45:00,305\n",
                   "datetime,carbon_intensity_avg\n2023-01-01T00:00:00Z,120.5\n2023-01-01T01:00:00Z,130\n"] + Self.adversarial
        let r1 = fuzz(6, seeds: csv, { d in
            let imported = try IntensityImport.parse(String(decoding: d, as: UTF8.self), format: .csv, zone: "DE", kind: .average, source: "import:f.csv")
            // Accepted files carry only finite, non-negative values.
            #expect(imported.slots.allSatisfy { s in s.value.map { $0.gramsPerKWh.isFinite && $0.gramsPerKWh >= 0 } ?? true })
        }, accepts: { $0 is TraceParseError })
        let json = [#"[{"start":"2024-01-01T00:00:00Z","duration_s":3600,"gco2_per_kwh":300},{"start":"2024-01-01T01:00:00Z","duration_s":3600,"gco2_per_kwh":null}]"#,
                    #"[{"Location":"eastus","Time":"2024-01-01T00:00:00Z","Rating":500.5,"Duration":"01:00:00"}]"#] + Self.adversarial
        let r2 = fuzz(7, seeds: json, { d in
            let imported = try IntensityImport.parse(String(decoding: d, as: UTF8.self), format: .json, zone: "DE", kind: .average, source: "import:f.json")
            #expect(imported.slots.allSatisfy { s in s.value.map { $0.gramsPerKWh.isFinite && $0.gramsPerKWh >= 0 } ?? true })
        }, accepts: { $0 is TraceParseError })
        print("fuzz intensity import (\(FuzzRandom.runs) runs each): csv \(r1), json \(r2) (parsed, rejected)")
    }
}
