import Environments
import Foundation
import Testing
import TestSupport

@Suite("Stepping delay (a simulated expensive environment)", .offThePool)
struct SteppingDelayTests {
    /// CPU time of the calling thread, in seconds.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    @Test("every step takes at least the delay in wall time and almost no CPU; the environments' results are those of the undelayed ones")
    func costsWallTimeNotCPU() throws {
        let steps = 50
        let delay = Duration.milliseconds(4)
        var plain = try VectorEnv(id: "CartPole-v1", count: 4, seed: 7)
        var slow = SteppingDelay(try VectorEnv(id: "CartPole-v1", count: 4, seed: 7), delay: delay)
        let actions: [Float] = [0, 1, 1, 0]
        let wallStart = ContinuousClock.now
        let cpuStart = Self.threadCPUSeconds()
        for _ in 0..<steps {
            try actions.withUnsafeBufferPointer { try slow.step(actions: $0) }
            try actions.withUnsafeBufferPointer { try plain.step(actions: $0) }
            #expect(slow.observations == plain.observations && slow.rewards == plain.rewards && slow.terminated == plain.terminated)
        }
        let wall = (ContinuousClock.now - wallStart) / .seconds(1)
        let cpu = Self.threadCPUSeconds() - cpuStart
        // A lower bound the sleep guarantees, whatever the machine's load.
        #expect(wall >= Double(steps) * 0.004, "\(steps) steps took \(wall) s")
        // Sleeping, not spinning: the thread's CPU time is a small part of the 0.2 s slept.
        #expect(cpu < 0.05, "the delay used \(cpu) s of CPU over \(wall) s")
        #expect(slow.count == 4 && slow.spec.id == "CartPole-v1")
    }
}
