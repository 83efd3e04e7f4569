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
    public var firstReach: FirstReach?
    public var checkpoint: String?
    /// The run's checkpoint writes; `lastFailure` set means the final one failed.
    public var checkpoints: CheckpointRecord

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

/// Training in one process: a `RolloutCollector` and a `Trainer` taking turns (`ppo train --workers 0`).
public final class LocalTraining {
    public let run: RunConfiguration
    public let seed: UInt64
    public let trainer: Trainer
    public let collector: RolloutCollector
    public let checkpoints: CheckpointPolicy
    private var envSteps: Int
    private var actionRNG: RNG
    private let logger = Logger(label: "ppo.train")

    /// Episodes averaged for the progress line and for `FirstReach` (the same window as the seed's driver).
    public static let returnWindow = 20

    /// A new run, or a resumed one when `resume` is given (parameters, Adam, normaliser, counters, RNG).
    /// A `gym:` environment is stepped by a bridge started with `bridge`.
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
            run.environment, count: resume?.config.numEnvs ?? run.ppo.numEnvs, seed: streams.environmentSeed, bridge: bridge)
        let spec = env.spec
        if let resume {
            try CheckpointPolicy.checkResumable(resume, environment: run.environment, spec: spec)
            trainer = resume.makeTrainer(learningRate: run.ppo.learningRate, threads: threads)
            envSteps = resume.envSteps
        } else {
            trainer = Trainer(observationSize: spec.observationSize, actionSpace: spec.actionSpace, config: run.ppo, seed: seed, threads: threads)
            envSteps = 0
        }
        collector = RolloutCollector(
            env: env, scaleRewards: trainer.config.normalizeRewards, gamma: trainer.config.gamma,
            rewardClip: trainer.config.rewardClip)
        actionRNG = streams.actions
    }

    /// Runs the remaining updates; `progress` is called after each one. When `stop` is requested, the run ends
    /// after the update in progress, with a checkpoint.
    public func train(stop: StopRequest? = nil, progress: (TrainingProgress) -> Void) throws -> TrainingSummary {
        let config = trainer.config
        let stepsPerEnv = config.rolloutSteps / config.numEnvs
        let totalUpdates = run.totalUpdates
        let threshold = collector.env.spec.rewardThreshold
        let clock = ContinuousClock()
        let start = clock.now
        func seconds() -> Double {
            let d = clock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
        }
        let startSteps = envSteps
        var recent: [Double] = []
        var episodes = 0
        var firstReach: FirstReach?
        var record = CheckpointRecord()
        let window = Self.returnWindow

        while trainer.updates < totalUpdates, stop?.isRequested != true {
            let baseSteps = envSteps
            let collectorBase = collector.envSteps
            let batch = try collector.collect(
                steps: stepsPerEnv, policy: trainer.model, normalizer: trainer.observationNormalizer,
                observationClip: config.observationClip, version: trainer.version, rng: &actionRNG
            ) { episode, collectorSteps in
                episodes += 1
                recent.append(episode.episodeReturn)
                if recent.count > window { recent.removeFirst() }
                if firstReach == nil, let threshold, recent.count == window,
                   recent.reduce(0, +) / Double(window) >= threshold {
                    firstReach = FirstReach(episodeIndex: episodes - 1, envSteps: baseSteps + collectorSteps - collectorBase, wallSeconds: seconds())
                }
            }
            envSteps += batch.count
            let report = trainer.train(on: [batch], update: trainer.updates + 1, totalUpdates: totalUpdates)
            let elapsed = seconds()
            progress(TrainingProgress(
                update: trainer.updates, totalUpdates: totalUpdates, version: trainer.version, envSteps: envSteps,
                stepsPerSecond: Double(envSteps - startSteps) / max(elapsed, 1e-9),
                recentReturn: recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count),
                episodes: episodes, statistics: report.statistics, elapsedSeconds: elapsed))
            record.note(checkpoints.writeIfDue(checkpoint, afterUpdate: trainer.updates, of: totalUpdates, logger: logger))
        }
        if trainer.updates < totalUpdates, let url = checkpoints.url {
            let outcome = checkpoints.write(checkpoint(), when: "at the stop", logger: logger)
            record.note(outcome)
            if outcome == .written {
                logger.info("stopped after update \(trainer.updates) of \(totalUpdates); checkpoint written to \(url.path) (continue with --resume)")
            }
        }
        let wall = seconds()
        return TrainingSummary(
            envID: run.envID, envSteps: envSteps, updates: trainer.updates, episodes: episodes, wallSeconds: wall,
            stepsPerSecond: Double(envSteps - startSteps) / max(wall, 1e-9),
            recentReturn: recent.isEmpty ? nil : recent.reduce(0, +) / Double(recent.count),
            firstReach: firstReach, checkpoint: checkpoints.url?.path, checkpoints: record)
    }

    /// A checkpoint of the current state.
    public func checkpoint() -> Checkpoint {
        Checkpoint(trainer: trainer, envID: run.envID, envArguments: run.envArguments, envSteps: envSteps)
    }
}
