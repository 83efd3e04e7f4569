import Environments
import Foundation
import Logging

/// When a run writes its checkpoint, and what a checkpoint must be to be resumed: the one rule for
/// `ppo train` (in one process or as a learner) and `ppo-learner`.
public struct CheckpointPolicy: Sendable {
    /// Where the checkpoint goes (nil: the run writes none).
    public var url: URL?
    /// Every this many updates (0: never on the way); always after the last update and when stopped early.
    public var every: Int

    public init(url: URL?, every: Int) {
        self.url = url
        self.every = every
    }

    /// The checkpoint file of a run's folder (`--out`, `--checkpoint-dir`).
    public static func file(in folder: URL) -> URL { folder.appendingPathComponent("checkpoint.safetensors") }

    /// No checkpoints.
    public static let none = CheckpointPolicy(url: nil, every: 0)

    /// Where to write after update `update` (1-based) of `total`, or nil if this update does not checkpoint.
    public func destination(afterUpdate update: Int, of total: Int) -> URL? {
        guard let url else { return nil }
        return update == total || (every > 0 && update % every == 0) ? url : nil
    }

    /// Writes `checkpoint` after update `update` if it is due; a failure is logged and does not undo the update
    /// (the next due update tries again).
    public func writeIfDue(_ checkpoint: () -> Checkpoint, afterUpdate update: Int, of total: Int, logger: Logger) {
        guard let url = destination(afterUpdate: update, of: total) else { return }
        do {
            try checkpoint().write(to: url)
        } catch {
            logger.error("checkpoint after update \(update) failed: \(error); the run goes on and tries again at the next one")
        }
    }

    /// Checks that `checkpoint` can continue a run of `environment`, whose spaces are `spec`'s.
    public static func checkResumable(_ checkpoint: Checkpoint, environment: EnvironmentSelection, spec: EnvironmentSpec) throws(Checkpoint.CheckpointError) {
        guard checkpoint.environment == environment, checkpoint.observationSize == spec.observationSize, checkpoint.actionSpace == spec.actionSpace else {
            throw .content("resume", reason: "the checkpoint was trained on \(checkpoint.environment) (observation \(checkpoint.observationSize), action \(checkpoint.actionSpace)), this run trains \(environment) (observation \(spec.observationSize), action \(spec.actionSpace)); give that --env, or another output folder")
        }
    }
}
