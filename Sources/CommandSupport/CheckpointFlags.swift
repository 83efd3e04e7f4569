import ArgumentParser
import Foundation
import Training

/// `--checkpoint-every` and `--resume`: shared by `ppo train` and `ppo-learner`, which differ only in the name of
/// the run's folder (`--out`, `--checkpoint-dir`).
public struct CheckpointFlags: ParsableArguments {
    @Option(help: "Write a checkpoint every N updates (0: only after the last update, and when stopped early).")
    public var checkpointEvery = 10

    @Flag(help: "Continue from the checkpoint in the run's folder (weights, Adam, normaliser, version, counters, RNG).")
    public var resume = false

    public init() {}

    public func validate() throws {
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must not be negative") }
    }

    /// What a run needs from these flags: where and when it checkpoints, and with `--resume` the checkpoint it
    /// continues, whose hyper-parameters become the run's. `folderFlag` names the folder's option in errors.
    public func resolve(_ run: inout RunConfiguration, folder: URL, folderFlag: String) throws -> (CheckpointPolicy, Checkpoint?) {
        let url = CheckpointPolicy.file(in: folder)
        let policy = CheckpointPolicy(url: url, every: checkpointEvery)
        guard resume else { return (policy, nil) }
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw ResumeFailure(description: "--resume: there is no checkpoint at \(url.path) (give the \(folderFlag) of the run to continue, or start without --resume)")
        }
        let checkpoint = try Checkpoint.read(from: url)
        run.ppo = checkpoint.config
        return (policy, checkpoint)
    }
}

/// `--resume` found nothing to continue.
public struct ResumeFailure: Error, CustomStringConvertible {
    public let description: String
}
