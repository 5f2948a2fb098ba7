import Foundation
import Testing
@testable import VerdantCore

/// The job-energy predictor by value: cold start, learning after 1, 2 and 3 runs, a changed declared
/// size, the fallbacks. Expected numbers are worked out in the comments (weights 0.9^age, prior 0.3).
@Suite struct JobEnergyPredictorTests {
    let policy = KindPolicy(expectedDurationSeconds: 7200, power: PowerWatts(40))
    let predictor = JobEnergyPredictor()

    func signature(epochs: Double, name: String = "digits", kind: JobKind = .training, script: String = "train.py") -> JobSignature {
        JobSignature(name: name, kind: kind, command: ["python3", script, "--epochs", epochs == 10 ? "10" : String(Int(epochs))],
                     sizes: ["epochs": epochs])
    }

    func run(epochs: Double, seconds: Double, joules: Double, script: String = "train.py") -> PredictorRun {
        PredictorRun(signature: signature(epochs: epochs, script: script), sizes: ["epochs": epochs],
                     durationSeconds: seconds, energy: EnergyJoules(joules))
    }

    func predict(epochs: Double, declared: Double? = nil, _ history: [PredictorRun]) -> JobPrediction {
        predictor.predict(signature: signature(epochs: epochs), sizes: ["epochs": epochs],
                          declaredDurationSeconds: declared, policy: policy, history: history)
    }

    @Test func sizeValuesInTheCommandDoNotChangeTheSignature() {
        let a = JobSignature(name: "t", kind: .batch, command: ["run", "--epochs=10", "-n", "3", "10x"], sizes: ["epochs": 10, "n": 3])
        #expect(a.command == ["run", "--epochs={epochs}", "-n", "{n}", "10x"])
        #expect(a.sizeNames == ["epochs", "n"])
        let b = JobSignature(name: "t", kind: .batch, command: ["run", "--epochs=25", "-n", "0.5", "10x"], sizes: ["epochs": 25, "n": 0.5])
        #expect(a == b)
        let c = JobSignature(name: "t", kind: .batch, command: ["run", "--epochs=25", "-n", "0.5", "11x"], sizes: ["epochs": 25, "n": 0.5])
        #expect(a != c)
    }

    @Test func coldStartUsesThePolicyOrTheDeclaredDuration() {
        let p = predict(epochs: 10, [])
        #expect(p.basis == .policy && p.runs == 0 && p.durationSource == .policy)
        #expect(p.durationSeconds == 7200)
        #expect(p.durationUncertaintySeconds == 7200)          // policy: ±100 %
        #expect(p.energy == EnergyJoules(288_000))             // 40 W × 7200 s
        #expect(p.energyUncertainty == EnergyJoules(288_000))
        let d = predict(epochs: 10, declared: 600, [])
        #expect(d.basis == .declared && d.durationSource == .given)
        #expect(d.durationSeconds == 600)
        #expect(d.durationUncertaintySeconds == 300)           // declared: ±50 %
        #expect(d.energy == EnergyJoules(24_000))              // 40 W × 600 s
        #expect(d.energyUncertainty == EnergyJoules(24_000))
    }

    @Test func afterOneRunScalesInProportionToTheSize() {
        let history = [run(epochs: 10, seconds: 100, joules: 2000)]
        let same = predict(epochs: 10, declared: 600, history)   // the declared duration no longer counts
        #expect(same.basis == .signature && same.runs == 1 && same.durationSource == .history)
        #expect(same.durationSeconds == 100)
        #expect(same.energy == EnergyJoules(2000))
        // One run, one parameter: σ = √(0.3² / 1) = 0.3.
        #expect(abs(same.durationUncertaintySeconds - 30) < 1e-9)
        #expect(abs(same.energyUncertainty.joules - 600) < 1e-9)
        // A changed declared size: 20 epochs cost twice 10.
        let double = predict(epochs: 20, history)
        #expect(double.durationSeconds == 200)
        #expect(double.energy == EnergyJoules(4000))
        #expect(abs(double.energyUncertainty.joules - 1200) < 1e-9)
    }

    @Test func afterTwoRunsFitsAFixedCostPlusACostPerUnit() {
        let history = [run(epochs: 10, seconds: 100, joules: 2000), run(epochs: 20, seconds: 180, joules: 3800)]
        // Two points: the line through both, whatever the weights. Energy 200 J + 180 J/epoch;
        // duration 20 s + 8 s/epoch.
        let p = predict(epochs: 30, history)
        #expect(p.runs == 2)
        #expect(abs(p.energy.joules - 5600) < 1e-9)
        #expect(abs(p.durationSeconds - 260) < 1e-9)
        // Two runs, two parameters: no residual degree of freedom, σ stays the prior 0.3.
        #expect(abs(p.energyUncertainty.joules - 1680) < 1e-9)
        #expect(abs(p.durationUncertaintySeconds - 78) < 1e-9)
        // Smaller than both runs: 200 + 180 × 5 = 1100 J, 20 + 40 = 60 s.
        let small = predict(epochs: 5, history)
        #expect(abs(small.energy.joules - 1100) < 1e-9)
        #expect(abs(small.durationSeconds - 60) < 1e-9)
    }

    @Test func afterThreeRunsWeightsRecentRunsAndNarrowsTheUncertainty() {
        let history = [run(epochs: 10, seconds: 100, joules: 2000), run(epochs: 20, seconds: 180, joules: 3800),
                       run(epochs: 30, seconds: 270, joules: 5500)]
        let p = predict(epochs: 40, history)
        #expect(p.runs == 3)
        // Weights 0.81, 0.9, 1. ū = (8.1 + 18 + 30)/2.71 = 20.701107; ȳ = (1620 + 3420 + 5500)/2.71 = 3889.298893;
        // b = Σw(u−ū)(y−ȳ) / Σw(u−ū)² = 174.824399; a = ȳ − b·ū = 270.240296; ŷ(40) = 7263.216266 J.
        #expect(abs(p.energy.joules - 7263.216266173753) < 1e-6)
        // Relative residuals −0.0091575, +0.0088331, −0.0027148; σ = √((0.09 + Σr²)/2) = 0.2123314.
        #expect(abs(p.energyUncertainty.joules - 1542.2089325993413) < 1e-6)
        // Duration 100, 180, 270 s with the same weights: a = 12.975970, b = 8.517560 s/epoch, ŷ(40) = 353.678373 s.
        #expect(abs(p.durationSeconds - 353.6783733826248) < 1e-6)
        // An exactly linear duration history: residuals 0, σ = √(0.09/2) = 0.212132.
        let exact = predict(epochs: 40, [run(epochs: 10, seconds: 100, joules: 2000), run(epochs: 20, seconds: 180, joules: 3800),
                                         run(epochs: 30, seconds: 260, joules: 5500)])
        #expect(abs(exact.durationSeconds - 340) < 1e-9)
        #expect(abs(exact.durationUncertaintySeconds - 72.12489168102785) < 1e-9)
    }

    @Test func fitsFallBackWhenTheLineMakesNoSense() {
        // Cost falls with size: the size explains nothing, the weighted mean is used (p = 1).
        let falling = ScalingFit(units: [10, 20], values: [300, 100], weights: [1, 1], priorRelativeSD: 0.3)
        #expect(falling.slope == 0 && falling.intercept == 200 && falling.parameters == 1)
        // A line with a negative fixed cost: proportional through the origin, b = Σw·u·y / Σw·u²
        // = (10·50 + 20·200) / (100 + 400) = 9.
        let origin = ScalingFit(units: [10, 20], values: [50, 200], weights: [1, 1], priorRelativeSD: 0.3)
        #expect(origin.intercept == 0 && abs(origin.slope - 9) < 1e-12 && origin.parameters == 1)
        // Residuals (50 − 90)/90 and (200 − 180)/180; σ = √((0.09 + 0.19753 + 0.01235)/2).
        #expect(abs(origin.relativeSD - ((0.09 + pow(40.0 / 90, 2) + pow(20.0 / 180, 2)) / 2).squareRoot()) < 1e-12)
    }

    @Test func sameNameAndKindIsTheFallbackAndOtherJobsAreIgnored() {
        let other = PredictorRun(signature: JobSignature(name: "other", kind: .training, command: ["x"], sizes: [:]),
                                 sizes: [:], durationSeconds: 5, energy: EnergyJoules(5))
        let wrongKind = PredictorRun(signature: JobSignature(name: "digits", kind: .batch, command: ["x"], sizes: [:]),
                                     sizes: [:], durationSeconds: 5, energy: EnergyJoules(5))
        #expect(predict(epochs: 10, [other, wrongKind]).basis == .policy)
        // Another script with the same size names: scaled with size, basis name-kind, prior 0.5.
        let h = [run(epochs: 10, seconds: 100, joules: 2000, script: "train2.py")]
        let p = predict(epochs: 30, h)
        #expect(p.basis == .nameKind && p.runs == 1)
        #expect(p.energy == EnergyJoules(6000))
        #expect(abs(p.energyUncertainty.joules - 3000) < 1e-9)
        // A new job with no sizes: the mean of the related runs, ignoring theirs.
        let plain = predictor.predict(signature: JobSignature(name: "digits", kind: .training, command: ["python3", "train.py"], sizes: [:]),
                                      sizes: [:], declaredDurationSeconds: nil, policy: policy,
                                      history: [run(epochs: 10, seconds: 100, joules: 2000), run(epochs: 30, seconds: 300, joules: 4000)])
        #expect(plain.basis == .nameKind)
        // Weights 0.9 and 1: (1800 + 4000) / 1.9.
        #expect(abs(plain.energy.joules - 5800 / 1.9) < 1e-9)
    }

    @Test func finishedJobsBecomeRunsOnlyWhenTheyTeachSomething() {
        let t0 = Date(timeIntervalSince1970: 1_600_000_000)
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(1), runNowIntensity: IntensityGramsPerKWh(1),
                           predictedCarbon: .zero, runNowCarbon: .zero, reason: "")
        var j = Job(name: "n", kind: .batch, command: ["true"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                    submittedAt: t0, deadline: t0, expectedDurationSeconds: 10, durationSource: .given, expectedEnergy: EnergyJoules(120), plan: plan)
        j.state = .succeeded
        j.startedAt = t0
        j.endedAt = t0.addingTimeInterval(8)
        j.energy = EnergyJoules(100)
        j.recordPredictionErrors()
        #expect(j.durationSeconds == 8)
        #expect(j.durationErrorPercent == 25)    // (10 − 8) / 8
        #expect(j.energyErrorPercent == 20)      // (120 − 100) / 100
        #expect(PredictorRun(job: j)?.durationSeconds == 8)
        var away = j                              // ended while verdantd was away: end not observed
        away.durationSeconds = nil
        #expect(PredictorRun(job: away) == nil)
        var failed = j
        failed.state = .failed
        failed.durationSeconds = nil
        failed.energyErrorPercent = nil
        failed.durationErrorPercent = nil
        failed.endedAt = t0.addingTimeInterval(3)
        failed.recordPredictionErrors()
        #expect(failed.durationSeconds == 3)      // measured, but a run that stopped early has no error
        #expect(failed.energyErrorPercent == nil && failed.durationErrorPercent == nil)
        #expect(PredictorRun(job: failed) == nil)
        var unmeasured = j
        unmeasured.energy = nil
        unmeasured.recordPredictionErrors()
        #expect(unmeasured.energyErrorPercent == nil)
        #expect(PredictorRun(job: unmeasured) == nil)
    }

    @Test func accuracyIsTheMAPEOfTheLastJobs() {
        let t0 = Date(timeIntervalSince1970: 1_600_000_000)
        let plan = JobPlan(plannedStart: t0, latestStart: t0, plannedIntensity: IntensityGramsPerKWh(1), runNowIntensity: IntensityGramsPerKWh(1),
                           predictedCarbon: .zero, runNowCarbon: .zero, reason: "")
        func job(_ id: Int64, _ e: Double?, _ d: Double?, _ state: JobState = .succeeded) -> Job {
            var j = Job(id: id, name: "n", kind: .batch, command: ["true"], workingDirectory: "/", environment: [], uid: 0, gid: 0,
                        submittedAt: t0, deadline: t0, expectedDurationSeconds: 1, durationSource: .given, expectedEnergy: .zero, plan: plan)
            j.state = state
            j.energyErrorPercent = e
            j.durationErrorPercent = d
            return j
        }
        let jobs = [job(1, 90, 90), job(2, -10, 20), job(3, 5, -4), job(4, 50, 50, .failed), job(5, nil, 3), job(6, 3, 8)]
        let a = PredictorAccuracy(jobs: jobs.shuffled(), window: 3)
        #expect(a.jobs == 3)                                      // jobs 2, 3, 6
        #expect(abs(a.energyMAPEPercent! - 6) < 1e-12)            // (10 + 5 + 3) / 3
        #expect(abs(a.durationMAPEPercent! - 32.0 / 3) < 1e-12)   // (20 + 4 + 8) / 3
        let none = PredictorAccuracy(jobs: [job(4, 50, 50, .failed)])
        #expect(none.jobs == 0 && none.energyMAPEPercent == nil && none.window == 20)
    }

    @Test func sizeDeclarationsAreCheckedWithAClearMessage() throws {
        let parsed = try JobSizeSyntax.parse("epochs=10")
        #expect(parsed.name == "epochs" && parsed.value == 10)
        #expect(try JobSizeSyntax.parse("frac=0.25").value == 0.25)
        for bad in ["epochs", "epochs=0", "epochs=-3", "epochs=ten", "=4", "1x=4", "a b=3", "e=nan", "e=inf"] {
            #expect(throws: JobSizeError.self, "\(bad)") { try JobSizeSyntax.parse(bad) }
        }
        #expect(throws: JobSizeError("--size epochs='ten' is not a number greater than 0: write e.g. --size epochs=10")) {
            try JobSizeSyntax.parse("epochs=ten")
        }
        #expect(throws: JobSizeError.self) { try JobSizeSyntax.validate(["a": 1, "b": -1]) }
    }
}
