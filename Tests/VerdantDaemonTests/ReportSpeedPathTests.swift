import Foundation
import GRDB
import Testing
@testable import VerdantCore
@testable import VerdantReport
@testable import VerdantStore

/// The faster report paths of issue 8's one-year benchmark give the same text and values as what they
/// replaced: numbers written by integer arithmetic (`NumberText`) against `Double.description` and
/// `String(format:)`, stored dates parsed from their text against SQLite's `julianday`, the one-pass
/// `EnergyReport` against inputs given out of order, and the HTML rows table's cap.
@Suite struct ReportSpeedPathTests {
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func shortest(_ v: Double, drop: Bool) -> String {
        var out: [UInt8] = []
        NumberText.appendShortest(v, to: &out, dropZeroFraction: drop)
        return String(decoding: out, as: UTF8.self)
    }

    @Test func shortestNumbersAreDoubleDescription() {
        var rng = SplitMix(state: 7)
        var values: [Double] = [0, -0.0, 1, -1, 5200, 600, 2_147_483_647, -2_147_483_647, 2_147_483_648, 4_294_967_296, 1e15, 1e16,
                                9_007_199_254_740_992, 0.1, 1e-5, 123.456, -0.5, 5e-324, 1.7976931348623157e308]
        for _ in 0..<20_000 {
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: values.append(Double(Int64.random(in: -3_000_000_000...3_000_000_000, using: &rng)))
            case 1: values.append(Double(Int64.random(in: -100_000...100_000, using: &rng)) / 8)
            default: values.append(Double.random(in: -1...1, using: &rng) * pow(10, Double(Int.random(in: -8...17, using: &rng))))
            }
        }
        for v in values {
            #expect(Self.shortest(v, drop: false) == v.description, "\(v)")
            var text = v.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            #expect(Self.shortest(v, drop: true) == text, "\(v)")
        }
        var out: [UInt8] = []
        NumberText.appendInteger(Int64.min, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "-9223372036854775808")
    }

    @Test func fixedNumbersArePrintfsIncludingTies() {
        // Exact binary ties go to the even digit; values just off a tie go by their exact value.
        let ties: [Double] = [0.125, 0.375, 2.5, 3.5, -2.5, 0.5, 1.5, 0.25, 0.75, 1.005, 2.675, 0.045, 1e-7, -1e-7, -0.0, 0,
                              4_503_599_627_370_495, 450_359_962_737.0495, 4.5035996273704955e9, 0.049999999999999996,
                              9.5, 10.5, 1234567.8949999999, 0.0000005, 0.0000015, 0.0000025]
        var rng = SplitMix(state: 11)
        var values = ties
        for _ in 0..<20_000 {
            let k = Double(Int64.random(in: -10_000_000...10_000_000, using: &rng))
            values.append(k / [2, 4, 8, 16, 1000, 3, 7][Int.random(in: 0..<7, using: &rng)])
            values.append(Double.random(in: -1...1, using: &rng) * pow(10, Double(Int.random(in: -9...15, using: &rng))))
        }
        for v in values {
            for d in [0, 1, 2, 3, 4, 6] {
                #expect(PrintfNumber.fixed(v, digits: d) == String(format: "%.\(d)f", v), "\(v) \(d)")
            }
        }
        // Outside the exact range: C's printf all the same.
        var none: [UInt8] = []
        #expect(!NumberText.fixedBytes(1e16, digits: 1, into: &none) && !NumberText.fixedBytes(.nan, digits: 1, into: &none) && none.isEmpty)
        #expect(PrintfNumber.fixed(1e16, digits: 1) == "10000000000000000.0")
    }

    @Test func storedDateTextGivesSQLitesMilliseconds() throws {
        let q = try DatabaseQueue()
        var rng = SplitMix(state: 1970)
        var texts = ["2024-02-29 23:59:59.999", "1970-01-01 00:00:00.000", "0000-01-01 00:00:00.000", "0000-03-01 12:00:00.500",
                     "9999-12-31 23:59:59.999", "2001-01-01 00:00:00.000", "2024-02-29T23:59:59.999", "1600-02-29 00:00:00.001"]
        for _ in 0..<5000 {
            texts.append(StorageDate.text(Date(timeIntervalSince1970: Double(Int64.random(in: -2_000_000_000_000...4_102_444_800_000, using: &rng)) / 1000)))
        }
        for t in texts {
            let sql = try q.read { db in try Int64.fetchOne(db, sql: "SELECT \(StoredDateMillis.sql("x")) FROM (SELECT ? AS x)", arguments: [t]) }
            let mine = Array(t.utf8).withUnsafeBufferPointer { StoredDateMillis.millis($0) }
            #expect(mine == sql, "\(t)")
        }
        for bad in ["2024-02-29", "2024-02-29 23:59:59.99", "2024/02/29 23:59:59.999", "2024-13-01 00:00:00.000", "2024-02-29 24:00:00.000",
                    "2024-02-x9 23:59:59.999", "+024-02-29 23:59:59.999"] {
            #expect(Array(bad.utf8).withUnsafeBufferPointer { StoredDateMillis.millis($0) } == nil, "\(bad)")
        }
    }

    static let t0 = ISO8601.parse("2024-03-01T00:00:00Z")!

    static func input(_ id: Int64, hours: Double, energy: Double?, scored: Bool) -> ReportJobInput {
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(100), runNowIntensity: IntensityGramsPerKWh(100),
                           predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(1), reason: "")
        let submitted = t0.addingTimeInterval(hours * 3600)
        var j = Job(id: id, name: "j\(id)", kind: [.training, .batch, .inference][Int(id % 3)], command: [], workingDirectory: "/", environment: [],
                    uid: 0, gid: 0, submittedAt: submitted, deadline: submitted, expectedDurationSeconds: 60, durationSource: .given,
                    expectedEnergy: EnergyJoules(100), plan: plan)
        j.state = .succeeded
        j.startedAt = submitted.addingTimeInterval(600)
        j.endedAt = j.startedAt!.addingTimeInterval(60)
        j.energy = energy.map(EnergyJoules.init)
        j.carbon = energy.map { CarbonGrams($0 / 1000) }
        j.energySource = energy == nil ? .unavailable : .measured
        if scored {
            j.energyErrorPercent = Double(id % 17) - 8
            j.durationErrorPercent = Double(id % 5) + 0.5
        }
        return ReportJobInput(job: j, userName: id % 2 == 0 ? "alice" : "bob", counterfactualCarbon: energy.map { CarbonGrams($0 / 900) })
    }

    /// 60 jobs over 20 days (a week boundary and a month boundary inside), some without energy, some scored.
    static let inputs: [ReportJobInput] = (1...60).map { (k: Int) -> ReportJobInput in
        let energy: Double? = k % 7 == 3 ? nil : Double(k) * 37.5
        return input(Int64(k), hours: Double(k) * 7.9, energy: energy, scored: k % 4 != 1)
    }

    @Test func jobsGivenOutOfOrderGiveTheSameReport() throws {
        var rng = SplitMix(state: 3)
        let shuffled = Self.inputs.shuffled(using: &rng)
        #expect(shuffled.map(\.job.id) != Self.inputs.map(\.job.id))
        for by in ReportGrouping.allCases where by != .zone {
            let a = EnergyReport(jobs: Self.inputs, by: by, since: nil, until: nil)
            let b = EnergyReport(jobs: shuffled, by: by, since: nil, until: nil)
            #expect(a == b, "--by \(by.rawValue)")
            #expect(a.jobs.map(\.id) == Array(1...60))
        }
        // Days: 60 jobs started at 7.9 h steps + 10 min over 20 days; each day's row sums its jobs.
        let days = EnergyReport(jobs: shuffled, by: .day, since: nil, until: nil)
        #expect(days.rows.map(\.key) == days.rows.map(\.key).sorted() && days.rows.first?.key == "2024-03-01" && days.rows.last?.key == "2024-03-20")
        #expect(days.rows.map(\.jobs).reduce(0, +) == 60)
        for row in days.rows {
            let members = Self.inputs.filter { ReportCalendar.day($0.job.startedAt!) == row.key }
            #expect(row.jobs == members.count)
            let energies = members.compactMap { $0.job.energy?.joules }
            #expect(row.energyJoules == (energies.isEmpty ? nil : energies.reduce(0, +)), "\(row.key)")
        }
        // Weeks: 2024-03-01 is a Friday of week 09; the 4th is the Monday of week 10.
        let weeks = EnergyReport(jobs: shuffled, by: .week, since: nil, until: nil)
        #expect(weeks.rows.map(\.key) == ["2024-W09", "2024-W10", "2024-W11", "2024-W12"])
        #expect(weeks.rows[0].jobs == Self.inputs.filter { $0.job.startedAt! < ISO8601.parse("2024-03-04T00:00:00Z")! }.count)
        // The predictor averages the 20 newest scored jobs by id: ids 60 down, skipping id % 4 == 1.
        let newest = (1...60).reversed().filter { $0 % 4 != 1 }.prefix(20)
        let mape = newest.map { abs(Double($0 % 17) - 8) }.reduce(0, +) / 20
        #expect(days.predictor.jobs == 20 && days.predictor.energyMAPEPercent == mape)
        // Totals: every job with energy, none of the others as 0.
        let all = Self.inputs.compactMap { $0.job.energy?.joules }
        #expect(days.totals.energy?.joules == all.reduce(0, +) && days.totals.jobs == 60)
    }

    @Test func theHTMLRowsTableListsTheLastRowsAndTotalsAll() throws {
        let many = (1...1005).map { k in Self.input(Int64(k), hours: Double(k) / 10, energy: 10, scored: false) }
        let r = EnergyReport(jobs: many, by: .job, since: nil, until: nil)
        let html = ReportHTML.render(r)
        let section = try #require(html.range(of: "<table id=\"rows\">").map { html[$0.lowerBound...] })
        let body = try #require(section.range(of: "</tbody>").map { section[..<$0.lowerBound] })
        #expect(body.components(separatedBy: "<tr>").count - 1 == 1 + ReportHTML.maxJobRows)   // header row + 1000
        #expect(body.contains("<th scope=\"row\">6</th>") && !body.contains("<th scope=\"row\">5</th>"))
        #expect(html.contains("<p id=\"rows-note\">The last 1000 of 1005 rows; the totals row covers all 1005."))
        #expect(html.contains("<tfoot><tr><th scope=\"row\">TOTAL</th><td class=\"n\">1005</td><td class=\"n\">10050.0</td>"))
        #expect(html.contains("<dd id=\"total-energy-j\">10050.0</dd>"))
        let few = ReportHTML.render(EnergyReport(jobs: Array(many.prefix(3)), by: .job, since: nil, until: nil))
        #expect(!few.contains("rows-note"))
    }
}
