import Foundation
import Testing
import Training
@testable import Learner
@testable import Worker

/// The learner's greedy evaluations while it trains (`eval_every`), with workers collecting meanwhile.
@Suite("The learner evaluates while it trains", .serialized)
struct EvaluationLearnerTests {
    static func cartPole(updates: Int, every: Int, episodes: Int = 3, stopAt: Double? = nil, video: Bool = false) throws -> RunConfiguration {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = updates * run.ppo.rolloutSteps
        run.evaluation = EvaluationSchedule(every: every, episodes: episodes, stopAtReturn: stopAt)
        run.evaluation.video = video
        return run
    }

    /// A learner on a free port, in `dir`, trained by two in-process workers until it says the run is finished.
    static func train(_ run: RunConfiguration, seed: UInt64, in dir: URL, resume: Checkpoint? = nil) async throws -> (LearnerMetrics, LearnerServer) {
        var options = LearnerOptions(run: run, seed: seed, host: "127.0.0.1", port: 0, tls: nil,
                                     checkpoints: CheckpointPolicy(url: CheckpointPolicy.file(in: dir), every: 0), resume: resume)
        options.evaluationHistory = try PeriodicEvaluation.history(in: dir, resuming: resume != nil)
        return try await trainWithTwoWorkers(options)
    }

    @Test("every 2nd update the learner evaluates the policy of that update on the evaluation seeds (best.safetensors evaluates again to its score), keeps the best and the history, and stops at stop_at_eval_return; resumed, the run is finished", .timeLimit(.minutes(5)))
    func evaluatesAndStops() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try Self.cartPole(updates: 300, every: 2, stopAt: 150)
        let (m, server) = try await Self.train(run, seed: 3, in: dir)
        #expect(m.reachedEvalTarget == true && m.updates < 300 && m.updates % 2 == 0, "\(m.updates) updates")
        #expect(m.evaluates && m.evaluations == m.updates / 2, "\(m.evaluations) evaluations after \(m.updates) updates")
        let last = try #require(m.lastEvaluation), best = try #require(m.bestEvaluation)
        #expect(last.update == m.updates && last.mean >= 150 && last.episodes == 3 && best.mean >= last.mean)
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal)

        let history = try EvaluationHistory.read(in: dir)
        #expect(history.points.count == m.evaluations && history.best == best && history.points.map(\.update) == Array(stride(from: 2, through: m.updates, by: 2)))
        let kept = try Checkpoint.read(from: PeriodicEvaluation.bestFile(in: dir))
        #expect(kept.evaluation == best && kept.updates == best.update && kept.envSteps == best.envSteps)
        // The snapshot evaluated is the state of its update, on the run's evaluation seeds.
        let again = try EvaluationResult.run(checkpoint: kept, episodes: 3, seed: EvaluationSchedule.seed(runSeed: 3))
        #expect(again.mean == best.mean && again.std == best.std)

        let status = await server.core.status()
        #expect(status.evaluation?.points.count == m.evaluations && status.evaluation?.best == best && status.evaluation?.target == 150)

        let saved = try Checkpoint.read(from: CheckpointPolicy.file(in: dir))
        #expect(saved.updates == m.updates && ResumeRules.isFinished(saved, run: run, evaluations: history))
        var resumed = LearnerOptions(run: run, seed: 3, host: "127.0.0.1", port: 0, tls: nil, resume: saved)
        resumed.evaluationHistory = history
        #expect(try await LearnerServer(options: resumed).core.isFinished)
    }

    @Test("a resumed learner goes on with the run's evaluations and its best; --eval-video keeps the latest evaluation's first episode", .timeLimit(.minutes(5)))
    func resumeKeepsTheBest() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("learner-eval-resume-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (first, _) = try await Self.train(try Self.cartPole(updates: 4, every: 2), seed: 4, in: dir)
        #expect(!FileManager.default.fileExists(atPath: PeriodicEvaluation.videoFile(in: dir).path))
        #expect(first.updates == 4 && first.evaluations == 2)
        let before = try EvaluationHistory.read(in: dir)
        let saved = try Checkpoint.read(from: CheckpointPolicy.file(in: dir))
        let (second, server) = try await Self.train(try Self.cartPole(updates: 8, every: 2, video: true), seed: 4, in: dir, resume: saved)
        let after = try EvaluationHistory.read(in: dir)
        #expect(second.updates == 8 && second.evaluations == 4 && after.points.count == 4)
        #expect(Array(after.points.prefix(2)) == before.points && after.points.map(\.update) == [2, 4, 6, 8])
        let best = try #require(after.points.max { $0.mean < $1.mean })
        #expect(after.best?.mean == best.mean && second.bestEvaluation == after.best)
        #expect(try Checkpoint.read(from: PeriodicEvaluation.bestFile(in: dir)).evaluation == after.best)
        let video = try #require(await server.core.latestVideo)
        #expect(video.update == 8 && Array(video.gif.prefix(6)) == Array("GIF89a".utf8))
        #expect(try Data(contentsOf: PeriodicEvaluation.videoFile(in: dir)) == Data(video.gif))
        #expect(await server.core.status().evaluation?.videoUpdate == 8)
    }
}
