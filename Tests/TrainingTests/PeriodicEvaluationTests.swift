import Foundation
import Environments
import PPOCore
import Testing
@testable import Training
import TestSupport

@Suite("Evaluating the greedy policy while a run trains (eval_every)", .offThePool)
struct PeriodicEvaluationTests {
    func folder(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    }

    /// CartPole-v1's preset for `updates` updates, evaluated every `every` (nil: never).
    func cartPole(updates: Int, every: Int?, episodes: Int = 5, stopAt: Double? = nil) throws -> RunConfiguration {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = updates * run.ppo.rolloutSteps
        run.evaluation = EvaluationSchedule(every: every, episodes: episodes, stopAtReturn: stopAt)
        return run
    }

    @Test("the schedule: due every N updates; its episodes' seeds are neither training's nor the final evaluation's; keys and refusals")
    func schedule() throws {
        let s = EvaluationSchedule(every: 3)
        #expect((1...9).filter { s.isDue(afterUpdate: $0) } == [3, 6, 9])
        #expect(!EvaluationSchedule().isDue(afterUpdate: 3))
        #expect(EvaluationSchedule.seed(runSeed: 7) != 7 && EvaluationSchedule.seed(runSeed: 7) != 7 &+ 1_000_000)
        let run = try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil,
                                               overrides: ["eval_every=4", "eval_episodes=3", "stop_at_eval_return=490"])
        #expect(run.evaluation == EvaluationSchedule(every: 4, episodes: 3, stopAtReturn: 490))
        for (bad, word) in [(["stop_at_eval_return=500"], "needs eval_every"), (["eval_every=2", "eval_episodes=0"], "eval_episodes"),
                            (["eval_every=0"], "eval_every")] {
            #expect {
                try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: bad)
            } throws: { "\($0)".contains(word) }
        }
    }

    @Test("a run evaluates after every N-th update, keeps the best policy in best.safetensors with its score, and the history in evaluations.json")
    func keepsTheBest() throws {
        let dir = folder("eval")
        defer { try? FileManager.default.removeItem(at: dir) }
        let training = try LocalTraining(run: cartPole(updates: 12, every: 3), seed: 2, checkpoints: CheckpointPolicy(url: CheckpointPolicy.file(in: dir), every: 0))
        var judged: [Int] = []
        let summary = try training.train { if let e = $0.evaluation { judged.append(e.update) } }
        #expect(judged == [3, 6, 9, 12])
        let history = training.evaluation.history
        #expect(history.points.map(\.update) == [3, 6, 9, 12] && history.points.allSatisfy { $0.episodes == 5 })
        let best = try #require(history.best)
        #expect(history.points.allSatisfy { $0.mean <= best.mean })
        #expect(summary.evaluations == 4 && summary.bestEvaluation == best && summary.lastEvaluation?.update == 12)
        let kept = try PeriodicEvaluation.checkpoint(named: dir, best: true)
        #expect(kept.evaluation == best && kept.updates == best.update)
        #expect(try EvaluationHistory.read(in: dir) == history)
        // The kept policy is the one that was evaluated: evaluating it again gives the same figure.
        let again = try EvaluationResult.run(model: kept.makeTrainer().model, preprocessing: kept.preprocessing,
                                             envID: "CartPole-v1", episodes: 5, seed: EvaluationSchedule.seed(runSeed: 2))
        #expect(again.mean == best.mean)
    }

    @Test("evaluating changes nothing in training: the final checkpoint is byte for byte the one of the same run without evaluations")
    func deterministic() throws {
        var bytes: [Data] = []
        for every in [2, nil] {
            let dir = folder("same")
            defer { try? FileManager.default.removeItem(at: dir) }
            let url = CheckpointPolicy.file(in: dir)
            let training = try LocalTraining(run: cartPole(updates: 8, every: every), seed: 5, checkpoints: CheckpointPolicy(url: url, every: 0))
            _ = try training.train { _ in }
            #expect(training.evaluation.history.points.count == (every == nil ? 0 : 4))
            try training.checkpoint().write(to: url)
            bytes.append(try Data(contentsOf: url))
        }
        #expect(bytes[0] == bytes[1])
    }

    @Test("stop_at_eval_return ends the run after the evaluation that reaches it; the run is then finished on resume, unless the target is raised")
    func stops() throws {
        let dir = folder("evalstop")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = CheckpointPolicy.file(in: dir)
        let run = try cartPole(updates: 200, every: 2, stopAt: 60)  // a random policy's greedy episodes last about 10 steps
        let training = try LocalTraining(run: run, seed: 3, checkpoints: CheckpointPolicy(url: url, every: 0))
        let summary = try training.train { _ in }
        let history = training.evaluation.history
        #expect(summary.reachedEvalTarget && summary.updates < 200 && summary.updates == history.latest?.update)
        #expect((history.latest?.mean ?? 0) >= 60 && history.points.dropLast().allSatisfy { $0.mean < 60 })
        let saved = try Checkpoint.read(from: url)
        #expect(saved.updates == summary.updates)
        let evaluations = try EvaluationHistory.read(in: dir)
        #expect(ResumeRules.isFinished(saved, run: run, evaluations: evaluations))
        #expect(ResumeRules.finishedReason(saved, run: run, evaluations: evaluations).contains("--stop-at-eval-return"))
        var raised = run
        raised.evaluation.stopAtReturn = 10_000
        #expect(!ResumeRules.isFinished(saved, run: raised, evaluations: evaluations))
    }

    @Test("a resumed run goes on with its evaluations and its best; a new run in the folder (--overwrite) starts without them")
    func resumeKeepsTheBest() throws {
        let dir = folder("evalresume")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = CheckpointPolicy.file(in: dir)
        let first = try LocalTraining(run: cartPole(updates: 6, every: 2), seed: 4, checkpoints: CheckpointPolicy(url: url, every: 0))
        _ = try first.train { _ in }
        try first.checkpoint().write(to: url)
        let before = first.evaluation.history
        let resumed = try LocalTraining(run: cartPole(updates: 10, every: 2), seed: 4, checkpoints: CheckpointPolicy(url: url, every: 0),
                                        resume: Checkpoint.read(from: url))
        #expect(resumed.evaluation.history == before)
        _ = try resumed.train { _ in }
        let after = resumed.evaluation.history
        #expect(after.points.map(\.update) == [2, 4, 6, 8, 10] && Array(after.points.prefix(3)) == before.points)
        #expect((after.best?.mean ?? 0) >= (before.best?.mean ?? 0))
        #expect(try PeriodicEvaluation.checkpoint(named: dir, best: true).evaluation == after.best)

        _ = try LocalTraining(run: cartPole(updates: 4, every: nil), seed: 4, checkpoints: CheckpointPolicy(url: url, every: 0))
        #expect(try EvaluationHistory.read(in: dir).points.isEmpty)
        #expect(throws: Checkpoint.CheckpointError.self) { try PeriodicEvaluation.checkpoint(named: dir, best: true) }
    }
}

@Suite("Videos of rendered frames", .offThePool)
struct RenderedVideoTests {
    @Test("rendered frames are shrunk by a whole factor to at most 320 a side and quantised to the 6×6×6 palette")
    func quantised() throws {
        #expect(EpisodeVideo.webPalette.count == 216 && EpisodeVideo.webPalette[215] == (255, 255, 255) && EpisodeVideo.webPalette[0] == (0, 0, 0))
        var pixels = [UInt8](repeating: 0, count: 640 * 480 * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) { pixels[i] = 255 }  // all red
        let (width, height, indices) = EpisodeVideo.quantised(RGBFrame(width: 640, height: 480, pixels: pixels))
        #expect(width == 320 && height == 240 && indices.count == 320 * 240)
        #expect(indices.allSatisfy { $0 == 36 * 5 } && EpisodeVideo.webPalette[36 * 5] == (255, 0, 0))
        var video = try EpisodeVideo(envID: "gym:HalfCheetah-v5", episodes: 1)
        #expect(video.needsRenderedFrames)
        video.add(episode: 0, frame: RGBFrame(width: 2, height: 2, pixels: [UInt8](repeating: 128, count: 12)))
        video.add(episode: 1, frame: RGBFrame(width: 2, height: 2, pixels: [UInt8](repeating: 128, count: 12)))  // past the episodes: ignored
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("video-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try video.write(to: dir).map(\.frames) == [1])
        #expect(try !EpisodeVideo(envID: "CartPole-v1", episodes: 1).needsRenderedFrames)
    }
}
