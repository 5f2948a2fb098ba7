import Foundation
import Testing
@testable import VerdantDaemon

/// `SamplerThread`: an actor on it runs serially on that one thread; ticks run there, isolated,
/// until stopped; the thread ends when its actor is gone.
@Suite struct SamplerThreadTests {
    actor Counter {
        nonisolated let thread: SamplerThread
        nonisolated var unownedExecutor: UnownedSerialExecutor { thread.asUnownedSerialExecutor() }
        var value = 0
        var offThread = 0
        var ticks = 0
        init(name: String) { thread = SamplerThread(name: name) }
        func add() {
            if !thread.isCurrentThread { offThread += 1 }
            let v = value
            value = v + 1
        }
    }

    /// Threads of this process whose name is `name` (/proc/self/task/*/comm).
    static func threads(named name: String) -> Int {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.filter { (try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8))?.trimmingCharacters(in: .newlines) == name }.count
    }

    @Test func actorCallsRunSeriallyOnTheThread() async {
        let counter = Counter(name: "vt-serial")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<2000 { group.addTask { await counter.add() } }
        }
        #expect(await counter.value == 2000)
        #expect(await counter.offThread == 0)
        #expect(Self.threads(named: "vt-serial") == 1)
    }

    @Test func ticksRunIsolatedOnTheThreadUntilStopped() async throws {
        let counter = Counter(name: "vt-ticks")
        counter.thread.startTicking(periodNanos: 10_000_000) {
            counter.assumeIsolated { $0.add() }
        }
        let deadline = ContinuousClock.now + .seconds(20)
        while await counter.value < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(await counter.value >= 3)
        counter.thread.stopTicking()
        let atStop = await counter.value
        try await Task.sleep(for: .milliseconds(100))   // ten periods: no tick may start after stopTicking
        #expect(await counter.value == atStop)
        #expect(await counter.offThread == 0)
    }

    /// Eight tasks keep the actor's queue full until three 10 ms ticks have run (a due tick goes
    /// before the waiting jobs; before that rule, a queue that never emptied held the ticks back).
    @Test func ticksAreNotStarvedByABusyActor() async throws {
        let counter = Counter(name: "vt-busy")
        counter.thread.startTicking(periodNanos: 10_000_000) {
            counter.assumeIsolated { $0.ticks += 1 }
        }
        let timeout = ContinuousClock.now + .seconds(20)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    repeat { await counter.add() } while await counter.ticks < 3 && ContinuousClock.now < timeout
                }
            }
        }
        counter.thread.stopTicking()
        #expect(await counter.ticks >= 3)
        #expect(await counter.value >= 8)
    }

    @Test func theThreadEndsWithItsActor() async throws {
        var counter: Counter? = Counter(name: "vt-release")
        await counter?.add()
        #expect(Self.threads(named: "vt-release") == 1)
        counter = nil
        let deadline = ContinuousClock.now + .seconds(20)
        while Self.threads(named: "vt-release") > 0, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(Self.threads(named: "vt-release") == 0)
    }
}
