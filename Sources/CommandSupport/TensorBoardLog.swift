import Foundation
import Training

/// `--logdir`: TensorBoard scalars after every update, from any thread.
public final class TensorBoardLog: @unchecked Sendable {
    private let lock = NSLock()
    private let writer: TensorBoardWriter

    public init(directory: String) throws {
        writer = try TensorBoardWriter(directory: URL(fileURLWithPath: directory))
    }

    public var path: String { writer.url.path }

    public func log(_ p: TrainingProgress) {
        lock.lock()
        defer { lock.unlock() }
        try? writer.log(update: p.statistics, envSteps: p.envSteps, stepsPerSecond: p.stepsPerSecond, recentReturn: p.recentReturn)
        if let e = p.evaluation { write(e) }
        guard let workers = p.workers else { return }
        try? writer.scalar("charts/workers", Double(workers), step: p.envSteps)
        try? writer.scalar("charts/stale_transitions", Double(p.dropped), step: p.envSteps)
    }

    /// An evaluation that ended after its update's scalars were written (the learner's, made while it trains on).
    public func log(_ e: EvaluationPoint) {
        lock.lock()
        defer { lock.unlock() }
        write(e)
    }

    private func write(_ e: EvaluationPoint) {
        try? writer.scalar("eval/mean_return", e.mean, step: e.envSteps)
        try? writer.scalar("eval/std_return", e.std, step: e.envSteps)
    }
}
