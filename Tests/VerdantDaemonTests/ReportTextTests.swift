import Foundation
import Testing
import VerdantCore
import VerdantReport

@Suite struct ReportTextTests {
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    static func input(_ id: Int64, user: String, energy: Double?, carbon: Double?) -> ReportJobInput {
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(1),
                           runNowIntensity: IntensityGramsPerKWh(1), predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(1), reason: "")
        var j = Job(id: id, name: "n,\"\(id)\"", kind: .batch, command: ["x"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                    submittedAt: t0, deadline: t0, expectedDurationSeconds: 1, durationSource: .given, expectedEnergy: EnergyJoules(1e9), plan: plan)
        j.state = .succeeded
        j.startedAt = t0.addingTimeInterval(123_456)
        j.endedAt = j.startedAt!.addingTimeInterval(99_999)
        j.energy = energy.map(EnergyJoules.init)
        j.carbon = carbon.map(CarbonGrams.init)
        return ReportJobInput(job: j, userName: user, intensitySource: "a very long intensity source name (static 480 gCO2eq/kWh)",
                              intensityKind: "marginal", counterfactualCarbon: carbon.map { CarbonGrams($0 * 2) })
    }

    @Test func theTableFitsEightyColumnsEvenWithExtremeValues() {
        let r = EnergyReport(jobs: [Self.input(1, user: "a-user-name-much-longer-than-twelve", energy: 987_654_321_098, carbon: 123_456_789),
                                    Self.input(2, user: "b", energy: 0.000012, carbon: 0.0000001),
                                    Self.input(3, user: "c", energy: nil, carbon: nil)], by: .user, since: nil, until: nil)
        let text = ReportText.table(r)
        for line in text.split(separator: "\n") { #expect(line.count <= 80, "\(line.count): \(line)") }
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines[0].hasPrefix("USER"))
        #expect(lines.contains { $0.hasPrefix("c ") && $0.contains("n/a") })    // no energy: n/a, not 0
        #expect(lines.contains { $0.hasPrefix("TOTAL") })
        // kWh because the total passes 1 kWh: 987654321098.000012 J / 3.6e6 = 274348.4 kWh.
        #expect(lines[0].contains("kWh"))
        #expect(text.contains("274348"))
    }

    @Test func csvQuotesNamesLeavesMissingEmptyAndEndsWithTotals() {
        let r = EnergyReport(jobs: [Self.input(1, user: "u", energy: 10, carbon: 1), Self.input(2, user: "u", energy: nil, carbon: nil)],
                             since: nil, until: nil)
        let lines = ReportText.csv(r).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == (["key"] + ReportText.csvJobColumns + Array(ReportText.csvColumns.dropFirst()) + ["cluster", "slurm_job_id"])
                                .joined(separator: ","))
        // Local jobs: empty cluster and Slurm job id (the last two cells), as is the TOTAL line.
        #expect(lines[1].hasSuffix(",,") && lines[3].hasSuffix(",,"))
        #expect(lines[1].hasPrefix("1,\"n,\"\"1\"\"\",batch,succeeded,u,"))
        let header = lines[0].split(separator: ",").map(String.init)
        let e = header.firstIndex(of: "energy_j")!
        func cells(_ l: String) -> [String] {
            // Split outside quotes.
            var out: [String] = [], cur = "", quoted = false
            for ch in l {
                if ch == "\"" { quoted.toggle() } else if ch == "," && !quoted { out.append(cur); cur = "" } else { cur.append(ch) }
            }
            out.append(cur)
            return out
        }
        #expect(cells(lines[1])[e] == "10.0")
        #expect(cells(lines[2])[e] == "")              // no value: empty, never 0
        #expect(cells(lines[3])[0] == "TOTAL")
        #expect(cells(lines[3])[e] == "10.0")
        #expect(cells(lines[3])[header.firstIndex(of: "carbon_saved_g")!] == "1.0")
    }
}
