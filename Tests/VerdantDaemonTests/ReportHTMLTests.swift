import Foundation
import Testing
import VerdantCore
import VerdantReport

/// The HTML report, checked in a real browser (Debian's chromium, headless).
@Suite(.serialized) struct ReportHTMLTests {
    static let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    /// Three jobs and a day of hourly node power (100–190 W) under a 200–430 g/kWh intensity.
    static func report() -> EnergyReport {
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(300),
                           runNowIntensity: IntensityGramsPerKWh(400), predictedCarbon: CarbonGrams(1), runNowCarbon: CarbonGrams(2), reason: "")
        let figures: [(Int64, Double, Double, Double)] = [(1, 36000, 3, 4.5), (2, 72000, 5, 5.5), (3, 18000, 1.5, 1)]
        let inputs: [ReportJobInput] = figures.map { id, e, c, cf in
            var j = Job(id: id, name: "job<\(id)>", kind: .training, command: ["x"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                        submittedAt: t0.addingTimeInterval(Double(id) * 3600), deadline: t0, expectedDurationSeconds: 600,
                        durationSource: .given, expectedEnergy: EnergyJoules(e * 0.9), plan: plan)
            j.state = .succeeded
            j.startedAt = j.submittedAt.addingTimeInterval(1800)
            j.endedAt = j.startedAt!.addingTimeInterval(600)
            j.energy = EnergyJoules(e)
            j.carbon = CarbonGrams(c)
            j.energySource = .measured
            return ReportJobInput(job: j, userName: "alice", intensitySource: "trace:de.csv", intensityKind: "average",
                                  measuredSeconds: 600, estimatedSeconds: 0, missingSeconds: 0, counterfactualCarbon: CarbonGrams(cf))
        }
        let timeline = (0..<24).map { (h: Int) -> ReportTimelinePoint in
            let hour = Double(h)
            let watts: Double = 100 + 90 * (h % 2 == 0 ? hour : 24 - hour) / 24
            let forecast: Double? = h < 12 ? 210 + 10 * hour : nil
            return ReportTimelinePoint(start: t0.addingTimeInterval(hour * 3600), seconds: 3600, energyJoules: watts * 3600,
                                       coveredSeconds: 3600, intensityGramsPerKWh: 200 + 10 * hour, forecastGramsPerKWh: forecast)
        }
        return EnergyReport(jobs: inputs, timeline: timeline, by: .job, since: t0, until: t0.addingTimeInterval(86400))
    }

    @Test func theFileIsSelfContainedAndAccessible() {
        let html = ReportHTML.render(Self.report())
        #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
        #expect(html.contains("prefers-color-scheme: dark"))
        for id in ["chart-power", "chart-jobs", "chart-saved", "chart-forecast"] {
            #expect(html.contains("<svg id=\"\(id)\""))
            #expect(html.contains("aria-labelledby=\"\(id)-t \(id)-d\""))
        }
        #expect(html.contains("job&lt;1&gt;"))          // names are escaped
        #expect(html.contains("power (W)") && html.contains("intensity (gCO2eq/kWh)"))
    }

    @Test func chromiumRendersItWithTheTotalsAndVisibleCharts() throws {
        let dir = temporaryFolder("html")
        let file = dir.appendingPathComponent("report.html")
        try ReportHTML.render(Self.report()).write(to: file, atomically: true, encoding: .utf8)
        let common = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(dir.path)/profile"]
        guard let dom = try runTool("chromium", common + ["--dump-dom", file.absoluteString]) else {
            Issue.record("chromium is not installed: run scripts/install-deps (Debian package chromium); CI installs it")
            return
        }
        #expect(dom.status == 0, "\(dom.stderr.suffix(500))")
        // Totals: 36000 + 72000 + 18000 J = 126000 J = 0.035 kWh; 9.5 g; saved (4.5 − 3) + (5.5 − 5) + (1 − 1.5) = 1.5 g.
        #expect(dom.stdout.contains(#"<dd id="total-energy-j">126000.0</dd>"#))
        #expect(dom.stdout.contains(#"<dd id="total-energy-kwh">0.035000</dd>"#))
        #expect(dom.stdout.contains(#"<dd id="total-carbon-g">9.500</dd>"#))
        #expect(dom.stdout.contains(#"<dd id="total-saved-g">1.500</dd>"#))
        #expect(dom.stdout.contains(#"<dd id="total-jobs">3</dd>"#))

        let png = dir.appendingPathComponent("report.png")
        let shot = try #require(try runTool("chromium", common + ["--screenshot=\(png.path)", "--window-size=1200,1400", file.absoluteString]))
        #expect(shot.status == 0, "\(shot.stderr.suffix(500))")
        let stats = try #require(try runTool("python3", [repositoryRoot.appendingPathComponent("scripts/png-stats").path, png.path, "0b6e4f", "b35c00"]))
        #expect(stats.status == 0, "\(stats.stderr)")
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
        #expect(obj["width"] as? Int == 1200)
        #expect(obj["background"] as? String == "ffffff")                     // light mode
        #expect(try #require(obj["non_background_share"] as? Double) > 0.02)  // not blank
        let near = try #require(obj["near"] as? [String: Int])
        #expect(try #require(near["0b6e4f"]) > 500, "the green power line and energy bars are drawn")
        #expect(try #require(near["b35c00"]) > 500, "the orange intensity line and carbon bars are drawn")
    }
}
