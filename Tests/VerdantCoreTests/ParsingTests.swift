import Foundation
import Testing
@testable import VerdantCore

@Suite struct TraceCSVTests {
    @Test func entsoeExportParsesAsUTC() throws {
        let (points, cols) = try IntensityTraceCSV.parse("time,DE\n2020-06-01 00:00:00,170.5\n2020-06-01 00:15:00,171\n")
        #expect(cols.valueHeader == "DE")
        #expect(points.count == 2)
        #expect(points[0].time == ISO8601.parse("2020-06-01T00:00:00Z"))
        #expect(points[1].intensity == IntensityGramsPerKWh(171))
    }

    @Test func gbExportUsesFromAndActualAndSkipsEmptyActuals() throws {
        let text = "from,to,forecast,actual,index\n2023-01-01T00:00:00+00:00,2023-01-01T00:30:00+00:00,70,65.0,low\n2023-01-01T00:30:00+00:00,2023-01-01T01:00:00+00:00,72,,low\n"
        let (points, cols) = try IntensityTraceCSV.parse(text)
        #expect(cols.valueHeader == "actual")
        #expect(points.map(\.intensity.gramsPerKWh) == [65])
    }

    @Test func malformedValueNamesTheLine() {
        #expect(throws: TraceParseError(line: 3, message: "intensity 'abc' in column 'intensity' is not a non-negative number of gCO2eq/kWh")) {
            try IntensityTraceCSV.parse("time,intensity\n2020-01-01T00:00:00Z,100\n2020-01-01T01:00:00Z,abc\n")
        }
    }

    @Test func badTimeAndUnsortedRowsNameTheLine() {
        do {
            _ = try IntensityTraceCSV.parse("time,intensity\n2020-01-01T01:00:00Z,100\n2020-01-01T00:00:00Z,90\n")
            Issue.record("expected an error")
        } catch let e as TraceParseError {
            #expect(e.line == 3)
        } catch { Issue.record("wrong error \(error)") }
        do {
            _ = try IntensityTraceCSV.parse("time,intensity\nyesterday,100\n")
            Issue.record("expected an error")
        } catch let e as TraceParseError {
            #expect(e.line == 2)
            #expect(e.message.contains("yesterday"))
        } catch { Issue.record("wrong error \(error)") }
    }

    @Test func windowsLineEndingsAreAccepted() throws {
        let (points, _) = try IntensityTraceCSV.parse("time,DE\r\n2020-06-01T00:00:00Z,100\r\n2020-06-01T01:00:00Z,200\r\n")
        #expect(points.map(\.intensity.gramsPerKWh) == [100, 200])
    }

    @Test func missingHeaderIsRefused() {
        #expect(throws: TraceParseError.self) { try IntensityTraceCSV.parse("2020-01-01T00:00:00Z,100\n") }
    }
}

@Suite struct FractionSyntaxTests {
    /// The policy's fractions and `verdant simulate`'s --hedge/--min-replan-saving share this parser.
    @Test func fractionsAndPercentagesParseToTheSameValue() {
        #expect(FractionSyntax.parse("0.05") == 0.05)
        #expect(FractionSyntax.parse("5%") == 0.05)
        #expect(FractionSyntax.parse(" -10 % ") == -0.1)
        #expect(FractionSyntax.parse("-0.1") == -0.1)
        #expect(FractionSyntax.parse("150%") == 1.5)   // ranges are the caller's
        #expect(FractionSyntax.parse("%") == nil)
        #expect(FractionSyntax.parse("half") == nil)
        #expect(FractionSyntax.parse("nan") == nil)
        #expect(FractionSyntax.parse("inf%") == nil)
    }
}

@Suite struct DurationTests {
    @Test func durationsParse() {
        #expect(DurationSyntax.parseSeconds("90s") == 90)
        #expect(DurationSyntax.parseSeconds("1h30m") == 5400)
        #expect(DurationSyntax.parseSeconds("2d") == 172_800)
        #expect(DurationSyntax.parseSeconds("PT1H30M") == 5400)
        #expect(DurationSyntax.parseSeconds("P1D") == 86400)
        #expect(DurationSyntax.parseSeconds("0.2s") == 0.2)
        #expect(DurationSyntax.parseSeconds("12") == 12)
        #expect(DurationSyntax.parseSeconds("-5m") == nil)
        #expect(DurationSyntax.parseSeconds("soon") == nil)
        #expect(DurationSyntax.parseSeconds("5x") == nil)
    }

    @Test func deadlinesResolveFromDurationsOrInstants() {
        let now = ISO8601.parse("2020-06-01T00:00:00Z")!
        #expect(DurationSyntax.resolveDeadline("6h", now: now) == now.addingTimeInterval(21600))
        #expect(DurationSyntax.resolveDeadline("2020-06-02T00:00:00Z", now: now) == now.addingTimeInterval(86400))
        #expect(DurationSyntax.resolveDeadline("2020-06-02T02:00:00+02:00", now: now) == now.addingTimeInterval(86400))
        #expect(DurationSyntax.resolveDeadline("tomorrow", now: now) == nil)
    }

    @Test func instantsPrintAsUTC() {
        #expect(ISO8601.string(ISO8601.parse("2020-06-01T02:00:00+02:00")!) == "2020-06-01T00:00:00Z")
    }
}

@Suite struct CPUTimesTests {
    @Test func procStatParses() throws {
        let text = """
            cpu  100 20 30 400 50 6 7 8 9 10
            cpu0 50 10 15 200 25 3 3 4 4 5
            cpu1 50 10 15 200 25 3 4 4 5 5
            intr 12345
            """
        let t = try CPUTimes.parse(procStat: text, ticksPerSecond: 100)
        // busy = user+nice+system+irq+softirq+steal = 100+20+30+6+7+8 = 171 ticks
        #expect(abs(t.busySeconds - 1.71) < 1e-12)
        #expect(abs(t.idleSeconds - 4.5) < 1e-12)
        #expect(t.cpuCount == 2)
    }
}

@Suite struct AttributionTests {
    let t0 = ISO8601.parse("2020-06-01T00:00:00Z")!

    @Test func jobGetsItsShareOfEstimatedNodeEnergyAndCarbon() {
        let model = CPUPowerModel(idlePower: PowerWatts(10), maxPower: PowerWatts(90), name: "test")
        let a = NodeReading(monotonicNanos: 0, cpu: CPUTimes(busySeconds: 100, idleSeconds: 0, cpuCount: 2), zones: [])
        let b = NodeReading(monotonicNanos: 10_000_000_000, cpu: CPUTimes(busySeconds: 110, idleSeconds: 0, cpuCount: 2), zones: [])
        // Node: 10 W × 10 s + 80 W × 10 busy s / 2 CPUs = 100 + 400 = 500 J. Idle part 10 W × 10 s = 100 J;
        // the job used 5 of 10 busy s: half the 400 J dynamic part, 200 J.
        let series = IntensitySeries(points: [IntensityPoint(time: t0, intensity: IntensityGramsPerKWh(360))], fallback: IntensityGramsPerKWh(0))
        let i = Attribution.interval(from: JobReading(node: a, time: t0, jobCPUSeconds: 1),
                                     to: JobReading(node: b, time: t0.addingTimeInterval(10), jobCPUSeconds: 6),
                                     model: model, series: series)
        #expect(abs(i.energy.joules - 200) < 1e-9)
        #expect(i.source == .estimated)
        // 200 J = 200/3.6e6 kWh; × 360 g/kWh = 0.02 g.
        #expect(abs(i.carbon.grams - 0.02) < 1e-12)
    }

    @Test func shareNeverExceedsOne() {
        #expect(Attribution.cpuShare(jobCPUSeconds: 2, nodeBusyCPUSeconds: 1.5) == 1)
        #expect(Attribution.cpuShare(jobCPUSeconds: 0, nodeBusyCPUSeconds: 0) == 0)
    }
}

@Suite struct HugeValueTests {
    @Test func aHugeExpectedDurationIsRefusedNotACrash() {
        let now = ISO8601.parse("2020-06-01T00:00:00Z")!
        #expect(throws: PlanError.self) {
            try Planner.latestStart(now: now, deadline: now.addingTimeInterval(3600), expectedDurationSeconds: 1e19)
        }
        #expect(DurationSyntax.format(seconds: 1e19) == "1e+19s")
        #expect(!PlanError.deadlineTooShort(deadline: now, expectedDurationSeconds: 1e30, now: now).description.isEmpty)
    }
}
