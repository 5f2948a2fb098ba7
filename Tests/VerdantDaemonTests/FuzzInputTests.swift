import Foundation
import Testing
import VerdantTestSupport
import VerdantAPI
import VerdantCore
@testable import VerdantDaemon

// Seeded mutation fuzzing of the daemon's inputs: configuration and policy files, API submissions.
// The mutator `FuzzRandom` is shared with VerdantCarbonTests (Tests/VerdantTestSupport). Runs per target:
// 2,000 (VERDANT_FUZZ_RUNS), seed VERDANT_FUZZ_SEED (default 10).
@Suite struct FuzzInputTests {
    func fuzz(_ salt: UInt64, seeds: [String], _ body: (String) throws -> Void, accepts: (any Error) -> Bool) -> (ok: Int, rejected: Int) {
        var rng = FuzzRandom(salt)
        let bytes = seeds.map { Array($0.utf8) }
        var ok = 0, rejected = 0
        for i in 0..<FuzzRandom.runs {
            let input = i < bytes.count ? bytes[i] : rng.mutate(bytes[rng.below(bytes.count)], other: bytes[rng.below(bytes.count)])
            do {
                try body(String(decoding: input, as: UTF8.self))
                ok += 1
            } catch {
                rejected += 1
                #expect(accepts(error) && !"\(error)".isEmpty, "run \(i): unexpected \(type(of: error)): \(error)\ninput: \(String(decoding: input.prefix(300), as: UTF8.self))")
            }
        }
        #expect(ok >= 1)
        return (ok, rejected)
    }

    @Test func configurationAndPolicyFilesNeverCrash() throws {
        let config = ["state-dir: /var/lib/verdant\nintensity-trace: bundled:de-2020-06_entsoe_15min.csv\nreplay-speed: 360\nsample-interval: 0.5s\nflush-interval: 5s\nlog-level: info\nadmin-group: wheel\nmax-queued-jobs-per-user: 10\nmax-cores-per-job: 8\nmax-gpus-per-job: 1\nmax-deadline: 7d\n",
                      DaemonConfiguration.embeddedDefault, "intensity-providers: electricitymaps,file\nintensity-refresh: 15m\n"]
        let r1 = fuzz(11, seeds: config, { text in
            var c = DaemonConfiguration()
            try c.apply(yaml: text, file: "fuzz.yaml")
            // Accepted values keep their documented ranges.
            #expect(c.replaySpeed >= 0 && c.staticIntensity >= 0)
            #expect((c.access.maxQueuedJobsPerUser ?? 0) >= 0 && (c.access.maxDeadlineSeconds ?? 1) > 0)
        }, accepts: { ($0 as? ConfigurationError)?.description.contains("fuzz.yaml") == true })
        let policy = [try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Policies/default.yaml"), encoding: .utf8)]
        let r2 = fuzz(12, seeds: policy, { text in
            let p = try PolicyFile.parse(text, file: "fuzz-policy.yaml")
            #expect(p.deadlines.values.allSatisfy { $0 >= 0 })
        }, accepts: { ($0 as? ConfigurationError)?.description.contains("fuzz-policy.yaml") == true })
        print("fuzz files (\(FuzzRandom.runs) runs each, seed \(FuzzRandom.seed)): configuration \(r1), policy \(r2) (accepted, rejected)")
    }

    /// The API's request decoding and the submission checks: every body is decoded (as the server
    /// does) and checked with limits set; malformed ones fail with a DecodingError (the server answers
    /// 400) or an APIError with a 4xx status; none crashes.
    @Test func submissionsNeverCrash() throws {
        var access = AccessConfiguration()
        access.maxQueuedJobsPerUser = 3
        access.maxCoresPerJob = 4
        access.maxGPUsPerJob = 1
        access.maxDeadlineSeconds = 86400
        let policy = AccessPolicy(configuration: access)
        let caller = Caller(uid: 1000, gid: 1000, pid: 1)
        let now = ISO8601.parse("2024-01-01T00:00:00Z")!
        let seeds = [#"{"name":"train","kind":"training","deadline":"6h","expected_duration":"1h","command":["python3","train.py"],"working_directory":"/tmp","environment":["PATH=/usr/bin","HOME=/tmp"],"cores":2,"gpus":1}"#,
                     #"{"command":["true"],"working_directory":"/","environment":[],"uid":1000,"gid":1000}"#]
        var refusedByCheck = 0
        let r = fuzz(13, seeds: seeds, { text in
            let req = try APIJSON.decoder().decode(SubmitRequest.self, from: Data(text.utf8))
            do {
                try policy.check(req, caller: caller, deadline: now.addingTimeInterval(3600), now: now, queuedByCaller: 0)
            } catch let e as APIError {
                refusedByCheck += 1
                #expect((400..<500).contains(e.status), "\(e)")
                throw e
            }
        }, accepts: { $0 is DecodingError || $0 is APIError })
        print("fuzz submissions (\(FuzzRandom.runs) runs): \(r) (accepted, rejected); \(refusedByCheck) refused by the checks after decoding")
    }
}
