import Foundation
import PPOCore
import Testing
import Training
@testable import Learner
@testable import Worker

@Suite("Collection overlapping learning (--max-policy-lag)", .serialized)
struct PolicyLagTests {
    /// A CartPole-v1 learner with `lag` and two in-process workers whose environments take 2 ms a step, so that
    /// they are collecting whenever an update runs; returns the learner's final counters and /metrics text.
    static func train(lag: Int, updates: Int = 12) async throws -> (LearnerMetrics, String) {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = updates * run.ppo.rolloutSteps
        run.ppo.maxPolicyLag = lag
        let options = LearnerOptions(run: run, seed: 5, host: "127.0.0.1", port: 0, tls: nil)
        let (final, _) = try await trainWithTwoWorkers(options, stepDelay: .milliseconds(2))
        return (final, final.prometheusText())
    }

    @Test("lag 1: every trained transition is at most one version old, some are one old, and the accounts balance")
    func lagOne() async throws {
        let (m, text) = try await Self.train(lag: 1)
        #expect(m.updates == 12)
        #expect(Set(m.transitionsTrainedByLag.keys).isSubset(of: ["0", "1"]), "lags \(m.transitionsTrainedByLag)")
        #expect(m.transitionsTrainedByLag.values.reduce(0, +) == m.transitionsTrained && m.transitionsTrained == 12 * 256)
        #expect(m.transitionsTrainedByLag["1", default: 0] > 0, "no collection overlapped an update: \(m.transitionsTrainedByLag)")
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
        #expect(m.droppedTotal == 0, "nothing is granted during the last update, so nothing is left over: \(m.transitionsDropped)")
        #expect(m.grantsIssued == m.grantsCompleted + m.grantsReturned + m.grantsOpen, "\(m)")
        // A grant of the version before, arriving after the next weights, is collected with that version's policy:
        // a batch of the wrong version would be refused (invalidVersion), which the learner counts. (Not the number
        // of connections: an in-process worker starved by a loaded test process can be closed by the learner's
        // idle timeout and reconnect, which says nothing about versions.)
        #expect(m.framesRejected.values.reduce(0, +) == 0, "rejected \(m.framesRejected), connections \(m.connectionsTotal)")
        #expect(text.contains("ppo_transitions_trained_by_lag_total{lag=\"1\"} \(Double(m.transitionsTrainedByLag["1", default: 0]))"))
    }

    @Test("lag 0, the default: every trained transition is of the trainer's version, and /metrics has no lag counter")
    func lagZero() async throws {
        let (m, text) = try await Self.train(lag: 0)
        #expect(m.updates == 12)
        #expect(m.transitionsTrainedByLag == ["0": 12 * 256], "lags \(m.transitionsTrainedByLag)")
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
        #expect(!text.contains("by_lag"))
    }
}
