import Foundation
import Testing
import VerdantCarbon
import VerdantCore

let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

func fixtureText(_ path: String) throws -> String {
    try String(contentsOf: fixtures.appendingPathComponent(path), encoding: .utf8)
}

@Suite struct IntensityImportTests {
    struct Expected: Sendable {
        let path: String
        let zone: String?
        let rows: Int
        let empty: Int
        let first: String
        let last: String
        let holes: [String]   // start of each missing-slot gap
        let holeSeconds: Double
    }

    // Row counts, ranges and gaps as documented in shared/data/README.md (§1), independent of the parser.
    static let traces: [Expected] = [
        Expected(path: "carbon-intensity/de-2020_vessim/carbon_intensity.csv", zone: nil, rows: 37_147, empty: 0,
                 first: "2019-12-20T00:00:00Z", last: "2021-01-09T23:00:00Z",
                 holes: ["2020-12-19T23:15:00Z", "2020-12-19T23:45:00Z"], holeSeconds: 1800),
        Expected(path: "carbon-intensity/gb-neso-2023_forecast-and-actual/neso_2023_national_intensity.csv", zone: "GB",
                 rows: 17_430, empty: 5, first: "2022-12-31T23:30:00Z", last: "2023-12-31T23:30:00Z",
                 holes: ["2023-10-20T22:00:00Z"], holeSeconds: 91 * 1800),
    ] + [("AZPS", 0), ("BPAT", 0), ("CISO", 3), ("ERCO", 0), ("MISO", 3), ("NYIS", 0), ("PJM", 23), ("SOCO", 0)].map { ba, empty in
        Expected(path: "carbon-intensity/us-eia930-2022_hpe-dc-rl/\(ba)_NG_&_avgCI.csv", zone: "US-\(ba)", rows: 8760, empty: empty,
                 first: "2022-01-01T00:00:00Z", last: "2022-12-31T23:00:00Z", holes: [], holeSeconds: 0)
    }

    @Test(arguments: traces) func everySharedTraceImportsWithItsGapsReported(_ e: Expected) throws {
        let text = try fixtureText(e.path)
        let imp = try IntensityImport.parse(text, format: .csv, zone: e.zone, kind: .average, source: "import:test")
        #expect(imp.slots.count == e.rows)
        #expect(imp.knownCount == e.rows - e.empty)
        #expect(imp.slots.first.map { ISO8601.string($0.start) } == e.first)
        #expect(imp.slots.last.map { ISO8601.string($0.start) } == e.last)
        let nulls = imp.gaps.filter { $0.reason == "null-value" }
        let holes = imp.gaps.filter { $0.reason == "missing-slot" }
        #expect(nulls.count == e.empty)
        #expect(holes.map { ISO8601.string($0.start) } == e.holes)
        #expect(holes.map(\.durationSeconds).reduce(0, +) == e.holeSeconds)
        #expect(imp.gaps.allSatisfy { $0.line != nil })
        // Missing values stay missing, never 0 or negative.
        #expect(imp.slots.allSatisfy { $0.value == nil || $0.value!.gramsPerKWh >= 0 })
        let series = IntensitySlotSeries(slots: imp.slots, fallback: IntensityGramsPerKWh(480))
        #expect(series.gaps.count == imp.gaps.count)
    }

    @Test func zoneComesFromTheHeaderOrMustBeGiven() throws {
        let de = try IntensityImport.parse("time,DE\n2020-06-01 00:00:00,300\n2020-06-01 00:15:00,310\n", format: .csv, zone: nil, kind: .average, source: "s")
        #expect(de.slots.map(\.zone) == ["DE", "DE"])
        #expect(de.slots.map(\.durationSeconds) == [900, 900])
        #expect(throws: TraceParseError.self) {
            try IntensityImport.parse("timestamp,avg_CI\n2022-01-01T00:00:00Z,300\n", format: .csv, zone: nil, kind: .average, source: "s")
        }
    }

    @Test func badRowNamesLineAndColumn() {
        do {
            _ = try IntensityImport.parse("time,DE\n2020-06-01 00:00:00,300\n2020-06-01 00:15:00,-5\n", format: .csv, zone: nil, kind: .average, source: "s")
            Issue.record("expected an error")
        } catch let e as TraceParseError {
            #expect(e.line == 3)
            #expect(e.message.contains("'-5'") && e.message.contains("column 'DE'"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func verdantJSONRoundTripsWithNullsAndLines() throws {
        let text = """
            [
              {"start": "2024-03-01T00:00:00Z", "duration_s": 3600, "gco2_per_kwh": 355, "kind": "average"},
              {"start": "2024-03-01T01:00:00Z", "duration_s": 3600, "gco2_per_kwh": null},
              {"start": "2024-03-01T02:00:00Z", "duration_s": 3600, "gco2_per_kwh": 391, "issued_at": "2024-02-29T23:00:00Z"}
            ]
            """
        let imp = try IntensityImport.parse(text, format: .json, zone: "DE", kind: .average, source: "import:x.json")
        #expect(imp.slots.map { $0.value?.gramsPerKWh } == [355, nil, 391])
        #expect(imp.gaps.map(\.line) == [3])
        #expect(imp.slots[2].issuedAt == ISO8601.parse("2024-02-29T23:00:00Z"))
        do {
            _ = try IntensityImport.parse(text.replacingOccurrences(of: "391", with: "\"lots\""), format: .json, zone: "DE", kind: .average, source: "s")
            Issue.record("expected an error")
        } catch let e as TraceParseError {
            #expect(e.line == 4)
            #expect(e.message.contains("'gco2_per_kwh'"))
        }
        #expect(throws: TraceParseError.self) {
            try IntensityImport.parse(text, format: .json, zone: "DE", kind: .marginal, source: "s")
        }
    }

    @Test func carbonAwareSDKEmissionsDataImportsOneLocation() throws {
        let text = try fixtureText("carbon-aware-sdk/test-data-aws-emissions.json")
        let imp = try IntensityImport.parse(text, format: .json, zone: "eu-west-1", kind: .marginal, source: "s")
        #expect(imp.slots.count == 24)
        #expect(imp.slots.first?.start == ISO8601.parse("2021-10-25T14:50:00Z"))
        #expect(imp.slots.last?.start == ISO8601.parse("2021-10-26T13:50:00Z"))
        #expect(imp.slots.allSatisfy { $0.durationSeconds == 3600 && $0.zone == "eu-west-1" })
        #expect(imp.gaps.isEmpty)
        #expect(throws: TraceParseError.self) {   // 25 locations and no --zone
            try IntensityImport.parse(text, format: .json, zone: nil, kind: .marginal, source: "s")
        }
        let sample = try IntensityImport.parse(try fixtureText("carbon-aware-sdk/sample-emissions-data.json"), format: .json,
                                               zone: "Sydney", kind: .average, source: "s")
        #expect(sample.slots.map { $0.value?.gramsPerKWh } == [0.6, 0.7, 0.9, 0.72, 0.01])
    }
}

@Suite struct IntensityImportRefusalTests {
    @Test func aPointOfAnotherZoneIsNeverRelabelled() {
        let json = #"{"Emissions":[{"Location":"eastus","Time":"2020-01-01T00:00:00Z","Rating":300,"Duration":"01:00:00"}]}"#
        #expect(throws: TraceParseError.self) {
            try IntensityImport.parse(json, format: .json, zone: "westus", kind: .marginal, source: "s")
        }
        let ok = try? IntensityImport.parse(json, format: .json, zone: "eastus", kind: .marginal, source: "s")
        #expect(ok?.slots.count == 1)
    }

    @Test func overlappingSlotsAreRefusedWithTheirLine() {
        let json = "[{\"start\":\"2020-01-01T00:00:00Z\",\"duration_s\":3600,\"gco2_per_kwh\":100},\n{\"start\":\"2020-01-01T00:30:00Z\",\"duration_s\":3600,\"gco2_per_kwh\":110}]"
        do {
            _ = try IntensityImport.parse(json, format: .json, zone: "T", kind: .average, source: "s")
            Issue.record("expected an error")
        } catch let e as TraceParseError {
            #expect(e.message.contains("overlaps the next point"))
        } catch { Issue.record("wrong error \(error)") }
    }
}
