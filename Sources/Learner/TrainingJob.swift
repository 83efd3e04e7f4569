import Dispatch
import Environments
import Logging
import NIOCore
import PPOCore
import Training
import Wire

/// The learner's trainer and the update it runs: GAE, the PPO epochs, the checkpoint when one is due, and the next
/// version's Weights frame, encoded (and compressed) once for every worker. An update takes tens of milliseconds of
/// BLAS, so it runs on a Dispatch thread, not on the learner's executor; `LearnerCore` runs one at a time and awaits
/// it before it stops.
final class TrainingJob: Sendable {
    /// What an update produced.
    struct Outcome: Sendable {
        var report: Trainer.UpdateReport
        var weights: Weights
        /// `weights` as a frame.
        var frame: ByteBuffer
        /// The checkpoint written after the update, if one was due.
        var checkpoint: CheckpointOutcome?
        /// The state after the update, when an evaluation is due after it (`eval_every`).
        var evaluationSnapshot: Checkpoint?
    }

    private let trainer: Exclusive<Trainer>
    let checkpoints: CheckpointPolicy
    let environment: EnvironmentSelection
    private let logger: Logger
    private let maxPolicyLag: UInt64
    private let evaluation: EvaluationSchedule

    /// A new trainer, or the one `resume` holds (checked to fit `spec`).
    init(options: LearnerOptions, spec: EnvironmentSpec, logger: Logger) throws {
        if let note = spec.flatteningNote { logger.info("\(note)") }
        let t: Trainer
        if let resume = options.resume {
            try CheckpointPolicy.checkResumable(resume, environment: options.run.environment, spec: spec)
            t = resume.makeTrainer(learningRate: options.run.ppo.learningRate, threads: options.learnerThreads)
        } else {
            t = Trainer(network: try spec.network(config: options.run.ppo), actionSpace: spec.actionSpace, config: options.run.ppo,
                        seed: options.seed, threads: options.learnerThreads)
            if t.network.imageColumns != nil { logger.info("network: \(t.network)") }
        }
        trainer = Exclusive(t)
        checkpoints = options.checkpoints
        environment = options.run.environment
        self.logger = logger
        maxPolicyLag = UInt64(options.maxPolicyLag)
        evaluation = options.run.evaluation
    }

    /// Read only between updates (`LearnerCore` never asks while one runs).
    var config: PPOConfig { trainer.value.config }
    var network: NetworkSpec { trainer.value.network }
    var version: UInt64 { trainer.value.version }
    var updates: Int { trainer.value.updates }

    /// The current parameters as Weights.
    func weights() -> Weights {
        let t = trainer.value
        return Weights(policyVersion: t.version, parameters: t.model.flatParameters, normalizer: t.observationNormalizer)
    }

    /// Trains on `batches` (all admitted by the on-policy gate, at most `--max-policy-lag` versions old) as update `update` of `total`; `envSteps` counts
    /// the run's steps after it, for the checkpoint.
    func update(on batches: [TransitionBatch], update: Int, of total: Int, envSteps: Int, recentReturns: RecentReturns) async -> Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let report = self.trainer.value.train(on: batches, update: update, totalUpdates: total, maxPolicyLag: self.maxPolicyLag)
                let written = self.checkpoints.writeIfDue(
                    { self.checkpoint(envSteps: envSteps, recentReturns: recentReturns) }, afterUpdate: update, of: total, logger: self.logger)
                let next = self.weights()
                let snapshot = self.evaluation.isDue(afterUpdate: update)
                    ? self.checkpoint(envSteps: envSteps, recentReturns: recentReturns) : nil
                continuation.resume(returning: Outcome(report: report, weights: next, frame: Frame.encode(.weights(next)), checkpoint: written,
                                                       evaluationSnapshot: snapshot))
            }
        }
    }

    /// Writes the checkpoint now (the run is stopping, or reached its return target), if the run has a checkpoint file.
    func writeFinalCheckpoint(envSteps: Int, recentReturns: RecentReturns) -> CheckpointOutcome? {
        let outcome = checkpoints.write(checkpoint(envSteps: envSteps, recentReturns: recentReturns), when: "at the stop", logger: logger)
        if outcome == .written, let url = checkpoints.url { logger.info("checkpoint written to \(url.path) at version \(version)") }
        return outcome
    }

    private func checkpoint(envSteps: Int, recentReturns: RecentReturns) -> Checkpoint {
        Checkpoint(trainer: trainer.value, envID: environment.id, envArguments: environment.arguments, envSetup: environment.setup, envSteps: envSteps,
                   recentReturns: recentReturns)
    }
}
