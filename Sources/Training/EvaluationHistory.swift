import Foundation

/// One greedy evaluation made while a run trained.
public struct EvaluationPoint: Sendable, Codable, Equatable {
    /// The update after which the policy was evaluated, and the run's env steps then.
    public var update: Int
    public var envSteps: Int
    public var episodes: Int
    public var mean: Double
    public var std: Double
    /// How long the evaluation took: the training loop waited that long.
    public var seconds: Double
}

/// A run's evaluations, the best of them, and the rule that ends a run on the evaluated return. Kept in
/// `evaluations.json` beside the checkpoint (not in it: a run's checkpoint is the same with and without
/// evaluations), so a resumed run goes on with its history and its best score.
public struct EvaluationHistory: Sendable, Codable, Equatable {
    public static let fileName = "evaluations.json"

    public private(set) var points: [EvaluationPoint] = []
    /// The evaluation with the highest mean (the first of equals): the policy in `best.safetensors`.
    public private(set) var best: EvaluationPoint?

    public init() {}

    /// Adds an evaluation; whether it is the new best.
    @discardableResult
    public mutating func record(_ point: EvaluationPoint) -> Bool {
        points.append(point)
        guard point.mean > best?.mean ?? -.infinity else { return false }
        best = point
        return true
    }

    /// The latest evaluation.
    public var latest: EvaluationPoint? { points.last }

    /// Whether the latest evaluation reached `target` (never for nil: the run has no target).
    public func reaches(_ target: Double?) -> Bool {
        guard let target, let latest else { return false }
        return latest.mean >= target
    }

    /// The log line of a run that ends because an evaluation reached `target`.
    public func reachedLine(target: Double, of total: Int) -> String {
        guard let latest else { return "" }
        return "the greedy evaluation after update \(latest.update) of \(total) returned \(latest.mean) on average over \(latest.episodes) episodes, which reaches --stop-at-eval-return \(target): the run is finished"
    }

    /// Total time spent evaluating.
    public var seconds: Double { points.reduce(0) { $0 + $1.seconds } }

    /// The history in `folder`, or an empty one when the run has none; a file that cannot be read is an error
    /// (resuming without it would forget the run's best).
    public static func read(in folder: URL) throws(Checkpoint.CheckpointError) -> EvaluationHistory {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return EvaluationHistory() }
        do {
            let history = try JSONDecoder().decode(EvaluationHistory.self, from: Data(contentsOf: url))
            guard history.points.allSatisfy({ $0.mean.isFinite && $0.std.isFinite }) else {
                throw Checkpoint.CheckpointError.content(url.path, reason: "an evaluation's return is not a finite number")
            }
            return history
        } catch let error as Checkpoint.CheckpointError {
            throw error
        } catch {
            throw .content(url.path, reason: "not a history of evaluations (\(error)); move it away to resume without it")
        }
    }

    /// Writes the history into `folder` atomically.
    public func write(in folder: URL) throws(AtomicFile.Failure) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = (try? encoder.encode(self)) ?? Data("{}".utf8)
        try AtomicFile.write(data, to: folder.appendingPathComponent(Self.fileName))
    }
}
