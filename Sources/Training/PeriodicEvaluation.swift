import Environments
import Foundation
import GymBridge
import Logging
import PPOCore

/// The greedy evaluations of a run while it trains (`eval_every`): the schedule, the evaluation itself (a native
/// env made for each, or one bridge env for a `gym:` env, kept from one evaluation to the next), the history and
/// the best policy, written beside the checkpoint as `best.safetensors`. A failed evaluation (the bridge died, the
/// env sent NaN) is logged and skipped: the run trains on, and the next evaluation starts a new bridge.
public final class PeriodicEvaluation {
    public let schedule: EvaluationSchedule
    public private(set) var history: EvaluationHistory
    private let selection: EnvironmentSelection
    private let seed: UInt64
    private let bridge: BridgeOptions
    /// The folder of the run's checkpoint (the history and the best policy go beside it); nil: nothing is written.
    private let folder: URL?
    private var gymEnv: (any VectorEnvironment)?
    /// Whether each evaluation records its first episode (`--eval-video`).
    private let recordsVideo: Bool
    /// The latest evaluation's first episode, as an animated GIF (`--eval-video`).
    public private(set) var latestVideo: LatestVideo?
    private let logger = Logger(label: "ppo.eval")

    /// `history`: a resumed run's (`EvaluationHistory.read`).
    public init(schedule: EvaluationSchedule, selection: EnvironmentSelection, runSeed: UInt64, bridge: BridgeOptions,
                folder: URL?, history: EvaluationHistory = EvaluationHistory()) {
        self.schedule = schedule
        self.selection = selection
        seed = EvaluationSchedule.seed(runSeed: runSeed)
        self.bridge = bridge
        self.folder = folder
        self.history = history
        recordsVideo = schedule.video
    }

    /// An evaluation's first episode, as an animated GIF.
    public struct LatestVideo: Sendable, Equatable {
        public var update: Int
        public var gif: [UInt8]
    }

    /// The latest evaluation's video in a run's folder (`--eval-video`).
    public static func videoFile(in folder: URL) -> URL { folder.appendingPathComponent("eval-latest.gif") }

    /// The history a run in `folder` goes on from: the folder's when `resuming`; otherwise none, and a previous
    /// run's history and best policy in that folder (a run started with --overwrite) are removed, so they are
    /// never taken for this run's.
    public static func history(in folder: URL?, resuming: Bool) throws(Checkpoint.CheckpointError) -> EvaluationHistory {
        guard let folder else { return EvaluationHistory() }
        if resuming { return try EvaluationHistory.read(in: folder) }
        for url in [folder.appendingPathComponent(EvaluationHistory.fileName), bestFile(in: folder), videoFile(in: folder)] {
            try? FileManager.default.removeItem(at: url)
        }
        return EvaluationHistory()
    }

    /// The best policy's file in a run's folder.
    public static func bestFile(in folder: URL) -> URL { folder.appendingPathComponent("best.safetensors") }

    /// The checkpoint a command names (`--checkpoint FILE|DIR`), or with `best` the best policy of that run (in
    /// its folder, or beside the file).
    public static func checkpoint(named url: URL, best: Bool) throws(Checkpoint.CheckpointError) -> Checkpoint {
        guard best else { return try Checkpoint.read(from: url) }
        var isFolder: ObjCBool = false
        let folder = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? url : url.deletingLastPathComponent()
        let file = bestFile(in: folder)
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw .io(file.path, reason: "no such file: the run did not evaluate while training (ppo train --eval-every N keeps its best policy there)")
        }
        return try Checkpoint.read(from: file)
    }

    /// Evaluates `trainer`'s policy if one is due after its last update; the evaluation, or nil when none was
    /// due or it failed. `checkpoint` makes the state to keep when it is the best so far.
    public func evaluateIfDue(_ trainer: Trainer, envSteps: Int, checkpoint: () -> Checkpoint) -> EvaluationPoint? {
        guard schedule.isDue(afterUpdate: trainer.updates) else { return nil }
        return judge(Policy(model: trainer.model, preprocessing: trainer.preprocessing),
                     update: trainer.updates, envSteps: envSteps, checkpoint: checkpoint)
    }

    /// Evaluates `snapshot`, the state of a run after one of its updates (the learner's: it trains on while this
    /// runs, on a thread of its own); nil when the evaluation failed.
    public func evaluate(_ snapshot: Checkpoint) -> EvaluationPoint? {
        let trainer = snapshot.makeTrainer()
        return judge(Policy(model: trainer.model, preprocessing: snapshot.preprocessing),
                     update: snapshot.updates, envSteps: snapshot.envSteps, checkpoint: { snapshot })
    }

    /// What an evaluation acts with.
    private struct Policy {
        var model: any PolicyNetwork
        var preprocessing: ObservationPreprocessing
    }

    private func judge(_ policy: Policy, update: Int, envSteps: Int, checkpoint: () -> Checkpoint) -> EvaluationPoint? {
        let start = ContinuousClock.now
        let result: EvaluationResult
        var movie = recordsVideo ? try? EpisodeVideo(envID: selection.id, episodes: 1) : nil
        do {
            result = try evaluate(policy, video: &movie)
        } catch {
            gymEnv = nil
            logger.warning("the evaluation after update \(update) failed, the run trains on: \(error)")
            return nil
        }
        let point = EvaluationPoint(
            update: update, envSteps: envSteps, episodes: result.episodes, mean: result.mean, std: result.std,
            seconds: start.duration(to: .now).secondsValue)
        if history.record(point) { keepBest(checkpoint(), point) }
        if let movie { keepVideo(movie, point) }
        if let folder {
            do { try history.write(in: folder) } catch { logger.warning("could not write the evaluations: \(error)") }
        }
        return point
    }

    private func evaluate(_ policy: Policy, video: inout EpisodeVideo?) throws -> EvaluationResult {
        var drawn = video
        defer { video = drawn }
        let record: ((EvaluationStep) throws -> Void)? = drawn.map { v in v.needsRenderedFrames ? nil : { drawn?.add($0) } } ?? nil
        guard selection.isGym else {
            return try EvaluationResult.run(model: policy.model, preprocessing: policy.preprocessing,
                                            envID: selection.id, episodes: schedule.episodes, seed: seed, record: record)
        }
        var fresh = false
        if gymEnv == nil {
            let options = recordsVideo ? bridge.rendering() : bridge
            gymEnv = try EnvironmentCatalog.makeVector(selection, count: 1, seed: RNG(seed: seed).split(2).seed, bridge: options)
            fresh = true
        }
        guard var env = gymEnv else { preconditionFailure("made above") }
        gymEnv = nil  // a failure below leaves no half-used env to reuse
        let frames = drawn.map { v in
            v.needsRenderedFrames ? EvaluationResult.FrameSink(episodes: 1) { episode, frame in drawn?.add(episode: episode, frame: frame) } : nil
        } ?? nil
        let result = try EvaluationResult.run(model: policy.model, preprocessing: policy.preprocessing,
                                              env: &env, envID: selection.id, episodes: schedule.episodes, seed: seed, fresh: fresh,
                                              record: record, frames: frames)
        gymEnv = env
        return result
    }

    /// Keeps the first episode of the latest evaluation as `latestVideo` and in `eval-latest.gif` beside the
    /// checkpoint (`--eval-video`).
    private func keepVideo(_ movie: EpisodeVideo, _ point: EvaluationPoint) {
        guard let file = movie.file(episode: 0) else { return }
        latestVideo = LatestVideo(update: point.update, gif: file)
        guard let folder else { return }
        do {
            try AtomicFile.write(Data(file), to: Self.videoFile(in: folder))
        } catch {
            logger.warning("could not write the evaluation's video: \(error)")
        }
    }

    /// Writes `checkpoint`, the policy that evaluated `point`, as the run's best.
    private func keepBest(_ checkpoint: Checkpoint, _ point: EvaluationPoint) {
        guard let folder else { return }
        var best = checkpoint
        best.evaluation = point
        do {
            try best.write(to: Self.bestFile(in: folder))
        } catch {
            logger.warning("could not write the best policy: \(error)")
        }
    }
}
