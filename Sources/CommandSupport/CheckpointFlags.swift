import ArgumentParser
import Foundation
import PPOCore
import Training

/// `--checkpoint-every` and how a run treats a checkpoint already in its folder (`--resume`,
/// `--resume-if-present`, `--overwrite`): shared by `ppo train` and `ppo-learner`, which differ only in the name of
/// the run's folder (`--out`, `--checkpoint-dir`).
public struct CheckpointFlags: ParsableArguments {
    @Option(help: "Write a checkpoint every N updates (0: only after the last update, and when stopped early).")
    public var checkpointEvery = 10

    @Flag(help: "Continue from the checkpoint in the run's folder (weights, Adam, normaliser, version, counters, RNG); refused if there is none.")
    public var resume = false

    @Flag(help: "Continue from the run folder's checkpoint if there is one, else start a new run: the mode for a supervisor (systemd, compose restart:, Kubernetes) that starts the same command again after a crash. A finished run exits 0 at once.")
    public var resumeIfPresent = false

    @Flag(help: "Start a new run even if the folder holds a checkpoint; its first checkpoint replaces the old one.")
    public var overwrite = false

    public init() {}

    public func validate() throws {
        guard checkpointEvery >= 0 else { throw ValidationError("--checkpoint-every must not be negative") }
        guard [resume, resumeIfPresent, overwrite].filter({ $0 }).count <= 1 else {
            throw ValidationError("--resume, --resume-if-present and --overwrite exclude each other")
        }
    }

    /// What a run needs from these flags: where and when it checkpoints, and the checkpoint it continues, if any,
    /// whose hyper-parameters become the run's (`ResumeRules`). `options` says which settings the command named;
    /// `folderFlag` names the folder's option in errors. Throws `StartRefusal` when the run must not start;
    /// `serveFinished` (a learner's `--serve-after-finish`) returns a finished run's checkpoint to serve instead.
    public func resolve(_ run: inout RunConfiguration, options: RunOptions, folder: URL, folderFlag: String,
                        serveFinished: Bool = false) throws -> (CheckpointPolicy, Checkpoint?) {
        let url = CheckpointPolicy.file(in: folder)
        let policy = CheckpointPolicy(url: url, every: checkpointEvery)
        let exists = FileManager.default.fileExists(atPath: url.path)
        if !exists {
            guard !resume else {
                throw StartRefusal("--resume: there is no checkpoint at \(url.path) (give the \(folderFlag) of the run to continue, start without --resume, or use --resume-if-present)")
            }
            return (policy, nil)
        }
        guard resume || resumeIfPresent else {
            if overwrite { return (policy, nil) }
            throw StartRefusal("\(url.path) already holds \(Self.describe(url)): --resume continues it, --overwrite starts a new run that replaces it, or give another \(folderFlag)")
        }
        let checkpoint = try Checkpoint.read(from: url)
        var named = Set(options.overrides.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        if options.config != nil { named.formUnion(PPOConfig.CodingKeys.allCases.map(\.rawValue)) }
        run = try ResumeRules.resumed(run, from: checkpoint, named: named)
        let evaluations = try EvaluationHistory.read(in: folder)
        if ResumeRules.isFinished(checkpoint, run: run, evaluations: evaluations), !(serveFinished && resumeIfPresent) {
            throw StartRefusal(
                "the run in \(folder.path) has finished: \(ResumeRules.finishedReason(checkpoint, run: run, evaluations: evaluations))",
                exitCode: resumeIfPresent ? .success : .failure)
        }
        return (policy, checkpoint)
    }

    /// A checkpoint file in one phrase, for the refusal to overwrite it.
    static func describe(_ url: URL) -> String {
        guard let c = try? Checkpoint.read(from: url) else { return "a file that is not a readable checkpoint" }
        return "a checkpoint of \(c.envID) (version \(c.version), \(c.envSteps) env steps)"
    }
}

/// Why a run does not start, and the status the command exits with (`--resume-if-present` on a finished run: 0).
public struct StartRefusal: Error, CustomStringConvertible {
    public let description: String
    public let exitCode: ExitCode

    public init(_ description: String, exitCode: ExitCode = .failure) {
        self.description = description
        self.exitCode = exitCode
    }

    /// Runs `body`; a refusal is one line on standard error (`error: …` unless the exit is a success) and the
    /// process's exit status.
    public static func exitOnRefusal<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let refusal as StartRefusal {
            let prefix = refusal.exitCode == .success ? "" : "error: "
            FileHandle.standardError.write(Data("\(prefix)\(refusal.description)\n".utf8))
            throw refusal.exitCode
        }
    }
}
