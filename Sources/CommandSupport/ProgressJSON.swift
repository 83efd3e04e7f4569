import Foundation
import PPOCore
import Synchronization
import Training

/// `--progress-json FILE|-`: the run's progress for programs, one JSON object per line, appended to FILE (a
/// resumed run goes on in the same file) or written to standard output instead of the progress lines (`-`).
/// Each object has an `event`:
/// - `listening` (a learner): `port` for workers, `metrics_port` (null without one);
/// - `update`: `update`, `total_updates`, `policy_version`, `env_steps`, `steps_per_second`, `recent_return`
///   (null before the first episode), `episodes`, `elapsed_seconds`, `losses` (`policy`, `value`, `entropy`,
///   `approx_kl`, `clip_fraction`, `explained_variance`, `grad_norm`, `learning_rate`; null where undefined),
///   and for a learner `workers`, `dropped` (transitions received and never trained) and `rejected` (frames
///   refused as bad input);
/// - `evaluation`: `update`, `env_steps`, `episodes`, `mean`, `std`, `seconds` (a greedy evaluation).
/// The run's closing account is `summary.json` in its folder.
public final class ProgressJSON: Sendable {
    /// Where the lines go, and whether that is standard output.
    private let handle: Mutex<FileHandle>
    public let isStandardOutput: Bool

    /// Opens `path` for appending (created if missing), or standard output for `-`.
    public init(path: String) throws(ProgressJSONError) {
        if path == "-" {
            handle = Mutex(FileHandle.standardOutput)
            isStandardOutput = true
            return
        }
        let url = URL(fileURLWithPath: path)
        if !FileManager.default.fileExists(atPath: url.path) {
            guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
                throw ProgressJSONError(path: path, reason: "cannot create it (does its folder exist, and may this user write there?)")
            }
        }
        do {
            let h = try FileHandle(forWritingTo: url)
            try h.seekToEnd()
            handle = Mutex(h)
        } catch {
            throw ProgressJSONError(path: path, reason: "cannot open it for writing: \(error.localizedDescription)")
        }
        isStandardOutput = false
    }

    public func listening(port: Int, metricsPort: Int?) {
        write(["event": "listening", "port": port, "metrics_port": metricsPort ?? NSNull()])
    }

    public func update(_ p: TrainingProgress) {
        let s = p.statistics
        let losses: [String: Any] = [
            "policy": json(s.policyLoss), "value": json(s.valueLoss), "entropy": json(s.entropy), "approx_kl": json(s.approxKL),
            "clip_fraction": json(s.clipFraction), "explained_variance": json(s.explainedVariance), "grad_norm": json(s.gradNorm),
            "learning_rate": json(s.learningRate),
        ]
        var event: [String: Any] = [
            "event": "update", "update": p.update, "total_updates": p.totalUpdates, "policy_version": p.version,
            "env_steps": p.envSteps, "episodes": p.episodes, "steps_per_second": json(p.stepsPerSecond),
            "elapsed_seconds": json(p.elapsedSeconds), "recent_return": json(p.recentReturn), "losses": losses,
        ]
        if let workers = p.workers {
            event["workers"] = workers
            event["dropped"] = p.dropped
            event["rejected"] = p.rejected
        }
        write(event)
        // In one process the evaluation after an update comes with it; a learner reports it on its own.
        if let e = p.evaluation { evaluation(e) }
    }

    public func evaluation(_ e: EvaluationPoint) {
        write(["event": "evaluation", "update": e.update, "env_steps": e.envSteps, "episodes": e.episodes, "mean": json(e.mean),
               "std": json(e.std), "seconds": json(e.seconds)])
    }

    /// A finite number, or JSON's null (JSON has no NaN or infinity).
    private func json(_ x: Double?) -> Any { x?.finite ?? NSNull() }

    private func write(_ event: [String: Any]) {
        // Only numbers, strings, null and objects of them: serialisation cannot fail.
        guard var data = try? JSONSerialization.data(withJSONObject: event, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        handle.withLock { $0.write(data) }
    }
}

/// `--progress-json` names a file that cannot be written.
public struct ProgressJSONError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "--progress-json \(path): \(reason)" }
}
