import Foundation
import Testing
import Training
@testable import Learner
@testable import Worker

@Suite("The learner ends a run at its return target", .serialized)
struct StopAtReturnLearnerTests {
    @Test("with stop_at_return the learner finishes after the update that reaches it: the workers are told the run is finished, the accounts balance, the checkpoint holds the window, and a learner resumed from it has nothing to train")
    func learnerStops() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-stop-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 300 * run.ppo.rolloutSteps
        run.stopAtReturn = 40  // a random policy averages about 22
        let url = CheckpointPolicy.file(in: dir)
        let options = LearnerOptions(run: run, seed: 2, host: "127.0.0.1", port: 0, tls: nil,
                                     checkpoints: CheckpointPolicy(url: url, every: 0))
        let (m, _) = try await trainWithTwoWorkers(options)
        #expect(m.reachedTarget == true && m.updates < 300, "\(m.updates) updates")
        #expect((m.recentReturn ?? 0) >= 40)
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal)
        #expect(m.grantsIssued == m.grantsCompleted + m.grantsReturned + m.grantsOpen)
        let saved = try Checkpoint.read(from: url)
        #expect(saved.updates == m.updates && saved.recentReturns.reaches(40) && saved.recentReturns.mean == m.recentReturn)
        #expect(ResumeRules.isFinished(saved, run: run))

        var resumed = options
        resumed.resume = saved
        let again = try LearnerServer(options: resumed)
        #expect(await again.core.isFinished)
    }
}
