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

    /// Writes `checkpoint` after update `update` if it is due (nil: not due). A failure is logged with its cause
    /// and does not undo the update: the file already there stays as it was (the write is atomic), the run goes
    /// on, and the next due update tries again.
    public func writeIfDue(_ checkpoint: () -> Checkpoint, afterUpdate update: Int, of total: Int, logger: Logger) -> CheckpointOutcome? {
        guard destination(afterUpdate: update, of: total) != nil else { return nil }
        return write(checkpoint(), when: "after update \(update) of \(total)", logger: logger)
    }

    /// Writes `checkpoint` now (nil: the run writes no checkpoint); `when` says which in the log.
    public func write(_ checkpoint: @autoclosure () -> Checkpoint, when: String, logger: Logger) -> CheckpointOutcome? {
        guard let url else { return nil }
        do {
            try checkpoint().write(to: url)
            logger.debug("checkpoint \(when) written to \(url.path)")
            return .written
        } catch {
            let cause = "\(error)"  // names the file
            logger.error("checkpoint \(when) failed: \(cause); training goes on, the last checkpoint written stays as it was, and the next one tries again")
            return .failed(cause)
        }
    }

    /// Checks that `checkpoint` can continue a run of `environment`, whose spaces are `spec`'s.
    public static func checkResumable(_ checkpoint: Checkpoint, environment: EnvironmentSelection, spec: EnvironmentSpec) throws(Checkpoint.CheckpointError) {
        guard checkpoint.environment == environment, checkpoint.observationSize == spec.observationSize, checkpoint.actionSpace == spec.actionSpace else {
            throw .content("resume", reason: "the checkpoint was trained on \(checkpoint.environment) (observation \(checkpoint.observationSize), action \(checkpoint.actionSpace)), this run trains \(environment) (observation \(spec.observationSize), action \(spec.actionSpace)); give that --env, or another output folder")
        }
        if let problem = checkpoint.network.problem(readingImages: spec.images) {
            throw .content("resume", reason: "the checkpoint's \(problem): the environment's wrappers or version changed; give the ones it was trained with, or another output folder")
        }
    }
}

/// What one checkpoint write did.
public enum CheckpointOutcome: Sendable, Equatable {
    case written
    /// The path and the cause.
    case failed(String)
}

/// The checkpoint writes of a run: counted for `/metrics` and the summaries, and the last failure kept until a
/// later write succeeds, so a run whose final write failed can say so and end with a non-zero status.
public struct CheckpointRecord: Sendable, Equatable, Codable {
    public var written = 0
    public var failures = 0
    /// The path and cause of the most recent write, if it failed.
    public var lastFailure: String?

    public init(written: Int = 0, failures: Int = 0, lastFailure: String? = nil) {
        self.written = written
        self.failures = failures
        self.lastFailure = lastFailure
    }

    /// At the end of a run: the sentence for a final checkpoint that was not written, or nil.
    public var finalFailure: String? {
        lastFailure.map {
            "the final checkpoint was not written (\($0)); the file holds the last checkpoint that was written, if any. Free the space or fix the folder, then continue with --resume."
        }
    }

    public mutating func note(_ outcome: CheckpointOutcome?) {
        switch outcome {
        case .written?:
            written += 1
            lastFailure = nil
        case .failed(let cause)?:
            failures += 1
            lastFailure = cause
        case nil:
            break
        }
    }
}
