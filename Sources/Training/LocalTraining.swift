import Environments
import Foundation
import GymBridge
import Logging
import PPOCore

/// The first time the mean return of the last `window` episodes reached the environment's reward threshold.
public struct FirstReach: Sendable, Codable, Equatable {
    public var episodeIndex: Int
    public var envSteps: Int
    public var wallSeconds: Double
}

/// The end of a run.
public struct TrainingSummary: Sendable, Codable {
    public var envID: String
    public var envSteps: Int
    public var updates: Int
    public var episodes: Int
    public var wallSeconds: Double
    public var stepsPerSecond: Double
    /// Mean return of the last 20 training episodes.
    public var recentReturn: Double?
    /// Whether the run ended early because `recentReturn` reached its `stop_at_return`.
    public var reachedTarget = false
    /// The greedy evaluations while it trained (`eval_every`): how many, the best (the policy in
    /// `best.safetensors`), the last, the time the run spent on them, and whether one reached
    /// `stop_at_eval_return` and ended the run.
    public var evaluations = 0
    public var bestEvaluation: EvaluationPoint?
    public var lastEvaluation: EvaluationPoint?
    public var evaluationSeconds = 0.0
    /// A learner's runs (`--workers N`): how long a full rollout waited for evaluations (the workers collect while
    /// the learner evaluates); in one process the loop waits for each evaluation's whole time.
    public var evaluationWaitSeconds: Double?
    public var reachedEvalTarget = false
    public var firstReach: FirstReach?
    public var checkpoint: String?
    /// The run's checkpoint writes; `lastFailure` set means the final one failed.
    public var checkpoints: CheckpointRecord
    /// How many versions behind its trainer a transition may be (0: strictly on-policy; 1: the next rollout is
    /// collected while the update runs). Absent in summaries written before it was recorded.
    public var maxPolicyLag: Int?
    /// A learner's account of the transitions workers sent (`--workers N`; absent in one process).
    public var transitions: TransitionAccount?

    /// Every transition a learner received was trained on or dropped (stale, or after the run's end).
    public struct TransitionAccount: Sendable, Codable, Equatable {
        public var received: Int
        public var trained: Int
        public var dropped: Int
        public init(received: Int, trained: Int, dropped: Int) {
            self.received = received
            self.trained = trained
            self.dropped = dropped
        }
    }

    public init(envID: String, envSteps: Int, updates: Int, episodes: Int, wallSeconds: Double, stepsPerSecond: Double,
                recentReturn: Double?, firstReach: FirstReach?, checkpoint: String?, checkpoints: CheckpointRecord = CheckpointRecord()) {
        self.envID = envID
        self.envSteps = envSteps
        self.updates = updates
        self.episodes = episodes
        self.wallSeconds = wallSeconds
        self.stepsPerSecond = stepsPerSecond
        self.recentReturn = recentReturn
        self.firstReach = firstReach
        self.checkpoint = checkpoint
        self.checkpoints = checkpoints
    }
}

extension TrainingSummary {
    /// What a run's evaluations were.
    public mutating func note(_ history: EvaluationHistory, reachedTarget: Bool) {
        evaluations = history.points.count
        bestEvaluation = history.best
        lastEvaluation = history.latest
        evaluationSeconds = history.seconds
        reachedEvalTarget = reachedTarget
    }
}

/// Training in one process: a `RolloutCollector` and a `Trainer` taking turns (`ppo train --workers 0`).
public final class LocalTraining {
    public let run: RunConfiguration
    public let seed: UInt64
    public let trainer: Trainer
    public let checkpoints: CheckpointPolicy
    /// The run's `max_policy_lag`. 0: collect, then train, in turn; 1: the next rollout is collected while the last
    /// one trains.
    public var maxPolicyLag: Int { run.ppo.maxPolicyLag }
    private let collection: LocalCollection
    private var envSteps: Int
    /// The training episodes so far (a resumed run's window goes on from its checkpoint's).
    private var returns: ReturnWindow
    /// The greedy evaluations while it trains (a resumed run's history goes on).
    public let evaluation: PeriodicEvaluation
    private let logger = Logger(label: "ppo.train")

    /// A new run, or a resumed one when `resume` is given (parameters, Adam, normaliser, counters, RNG).
    /// A `gym:` environment is stepped by a bridge started with `bridge`; `threads` are the update's.
    public init(
        run: RunConfiguration, seed: UInt64, checkpoints: CheckpointPolicy, resume: Checkpoint? = nil,
        bridge: BridgeOptions = .default, threads: Int = 1
    ) throws {
        let problems = run.problems()
        guard problems.isEmpty else { throw ConfigurationError.inconsistent(problems) }
        self.run = run
        self.seed = seed
        self.checkpoints = checkpoints
        if let url = checkpoints.url { Checkpoint.removeAbandonedWrites(of: url, logger: logger) }
        // A resumed run continues with fresh episodes: its streams depend on how far it got.
        let streams = CollectorStreams(runSeed: seed, collector: CollectorStreams.localName, session: UInt64(resume?.updates ?? 0))
        let env = try EnvironmentCatalog.makeVector(
            run.environment, count: resume?.config.numEnvs ?? run.ppo.numEnvs, seed: streams.environmentSeed,
            bridge: run.ppo.maxPolicyLag > 0 ? bridge.sharingCores() : bridge)
        let spec = env.spec
        if let note = spec.flatteningNote { logger.info("\(note)") }
        if let resume {
            try CheckpointPolicy.checkResumable(resume, environment: run.environment, spec: spec)
            trainer = resume.makeTrainer(learningRate: run.ppo.learningRate, threads: threads)
            envSteps = resume.envSteps
            returns = ReturnWindow(recent: resume.recentReturns, threshold: env.spec.rewardThreshold)
        } else {
            trainer = Trainer(network: try spec.network(config: run.ppo), actionSpace: spec.actionSpace, config: run.ppo, seed: seed, threads: threads)
            envSteps = 0
            if trainer.network.imageColumns != nil { logger.info("network: \(trainer.network)") }
            returns = ReturnWindow(recent: RecentReturns(), threshold: env.spec.rewardThreshold)
        }
        let folder = checkpoints.url?.deletingLastPathComponent()
        evaluation = PeriodicEvaluation(
            schedule: run.evaluation, selection: run.environment, runSeed: seed, bridge: bridge, folder: folder,
            history: try PeriodicEvaluation.history(in: folder, resuming: resume != nil))
        let collector = RolloutCollector(
            env: env, scaleRewards: trainer.config.normalizeRewards, gamma: trainer.config.gamma,
            rewardClip: trainer.config.rewardClip)
        collection = LocalCollection(
            collector: collector, actionRNG: streams.actions, maxPolicyLag: run.ppo.maxPolicyLag, model: trainer.model, config: trainer.config)
    }

    /// The envs and their collector.
    public var collector: RolloutCollector { collection.collector }

    /// Runs the remaining updates; `progress` is called after each one. When `stop` is requested, or the run's
    /// `stop_at_return` is reached, the run ends after the update in progress, with a checkpoint.
    public func train(stop: StopRequest? = nil, progress: (TrainingProgress) -> Void) throws -> TrainingSummary {
        let config = trainer.config
        let stepsPerEnv = config.rolloutSteps / config.numEnvs
        let totalUpdates = run.totalUpdates
        let start = ContinuousClock.now
        func seconds() -> Double { start.duration(to: .now).secondsValue }
        let startSteps = envSteps
        returns.start = start
        var record = CheckpointRecord()
        func end() -> RunEnd? { RunEnd.check(run, updates: trainer.updates, recent: returns.recent, evaluations: evaluation.history) }
        func ending() -> Bool { stop?.isRequested == true || end() != nil }

        while !ending() {
            let rollout = try collection.next(for: trainer, stepsPerEnv: stepsPerEnv)
            returns.note(rollout.episodes, envStepsBefore: envSteps)
            // With a lag, the rollout after this one is collected while this one trains (not after the last update).
            if trainer.updates + 1 < totalUpdates, !ending() {
                collection.prefetch(for: trainer, stepsPerEnv: stepsPerEnv)
            }
            envSteps += rollout.batch.count
            let report = trainer.train(
                on: [rollout.batch], update: trainer.updates + 1, totalUpdates: totalUpdates, maxPolicyLag: UInt64(maxPolicyLag))
            let judged = evaluation.evaluateIfDue(trainer, envSteps: envSteps, checkpoint: checkpoint)
            let elapsed = seconds()
            var line = TrainingProgress(
                update: trainer.updates, totalUpdates: totalUpdates, version: trainer.version, envSteps: envSteps,
                stepsPerSecond: Double(envSteps - startSteps) / max(elapsed, 1e-9), recentReturn: returns.recent.mean,
                episodes: returns.episodes, statistics: report.statistics, elapsedSeconds: elapsed)
            line.evaluation = judged
            progress(line)
            record.note(checkpoints.writeIfDue(checkpoint, afterUpdate: trainer.updates, of: totalUpdates, logger: logger))
        }
        // Stopped early: a rollout collected for an update that will not run is dropped (its steps were never counted).
        collection.drain()
        let ended = end()
        if ended != .allUpdates { record.note(writeAtStop(ended, of: totalUpdates)) }
        let wall = seconds()
        var summary = TrainingSummary(
            envID: run.envID, envSteps: envSteps, updates: trainer.updates, episodes: returns.episodes, wallSeconds: wall,
            stepsPerSecond: Double(envSteps - startSteps) / max(wall, 1e-9), recentReturn: returns.recent.mean,
            firstReach: returns.firstReach, checkpoint: checkpoints.url?.path, checkpoints: record)
        summary.reachedTarget = ended?.isReturnTarget == true
        summary.maxPolicyLag = maxPolicyLag
        summary.note(evaluation.history, reachedTarget: ended?.isEvaluationTarget == true)
        return summary
    }

    /// The checkpoint of a run that ends before its last update (on a target, `end`, or stopped: nil), and the
    /// line that says why.
    private func writeAtStop(_ end: RunEnd?, of totalUpdates: Int) -> CheckpointOutcome? {
        if let end {
            logger.info("\(end.line(update: trainer.updates, of: totalUpdates, recent: returns.recent, evaluations: evaluation.history))")
        }
        guard let url = checkpoints.url else { return nil }
        let outcome = checkpoints.write(checkpoint(), when: "at the stop", logger: logger)
        if outcome == .written, end == nil {
            logger.info("stopped after update \(trainer.updates) of \(totalUpdates); checkpoint written to \(url.path) (continue with --resume)")
        }
        return outcome
    }

    /// The returns of the last training episodes, how many there were, and when their mean first reached the
    /// environment's reward threshold.
    struct ReturnWindow {
        private(set) var recent: RecentReturns
        let threshold: Double?
        var start = ContinuousClock.now
        private(set) var episodes = 0
        private(set) var firstReach: FirstReach?

        init(recent: RecentReturns, threshold: Double?) {
            self.recent = recent
            self.threshold = threshold
        }

        /// Counts a rollout's finished episodes; `envStepsBefore`: the run's env steps before that rollout.
        mutating func note(_ finished: [CollectedRollout.Episode], envStepsBefore: Int) {
            for episode in finished {
                episodes += 1
                recent.append(episode.statistics.episodeReturn)
                if firstReach == nil, recent.reaches(threshold) {
                    firstReach = FirstReach(
                        episodeIndex: episodes - 1, envSteps: envStepsBefore + episode.stepsIntoRollout,
                        wallSeconds: start.duration(to: episode.endedAt).secondsValue)
                }
            }
        }
    }

    /// A checkpoint of the current state.
    public func checkpoint() -> Checkpoint {
        Checkpoint(trainer: trainer, envID: run.envID, envArguments: run.envArguments, envSetup: run.envSetup, envSteps: envSteps,
                   recentReturns: returns.recent)
    }
}
