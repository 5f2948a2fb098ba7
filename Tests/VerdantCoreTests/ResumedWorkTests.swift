import Foundation
import Testing
import VerdantCore

/// `ResumedWork`: the work left to a checkpoint-mode job resumed after a daemon shutdown.
@Suite struct ResumedWorkTests {
    let t = Date(timeIntervalSince1970: 1_600_000_000)

    @Test func runTimeCountsOverlapsOnce() {
        // [0, 100) ∪ [50, 150) = 150 s; [200, 260) = 60 s; a reversed interval counts 0.
        let s = ResumedWork.runSeconds([(t, t + 100), (t + 200, t + 260), (t + 50, t + 150), (t + 400, t + 300)])
        #expect(s == 210)
        #expect(ResumedWork.runSeconds([]) == 0)
    }

    @Test func remainingIsPredictedLessDoneWithAFloor() {
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 1800, doneSeconds: 750) == 1050)
        // Floor: 10 % of 1800 s = 180 s (more than 60 s).
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 1800, doneSeconds: 1700) == 180)
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 1800, doneSeconds: 5000) == 180)
        // Floor: 60 s when 10 % is less (300 s predicted: 30 s).
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 300, doneSeconds: 290) == 60)
        // Never more than the prediction: a 40 s job is planned for at most 40 s.
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 40, doneSeconds: 39) == 40)
        #expect(ResumedWork.remainingSeconds(predictedSeconds: 1800, doneSeconds: 0) == 1800)
    }
}
