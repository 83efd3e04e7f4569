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
        if let e = p.evaluation {
            try? writer.scalar("eval/mean_return", e.mean, step: p.envSteps)
            try? writer.scalar("eval/std_return", e.std, step: p.envSteps)
        }
        guard let workers = p.workers else { return }
        try? writer.scalar("charts/workers", Double(workers), step: p.envSteps)
        try? writer.scalar("charts/stale_transitions", Double(p.dropped), step: p.envSteps)
    }
}
