import Foundation
import PPOCore
import Training

/// The console's line per update: update, env steps, throughput, mean return of the last 20 episodes, then the
/// update's losses and diagnostics under CleanRL's names (and, for a learner, workers and stale transitions).
public enum ProgressLine {
    public static func format(_ p: TrainingProgress) -> String {
        var line = common(update: p.update, total: p.totalUpdates, steps: p.envSteps, rate: p.stepsPerSecond, ret: p.recentReturn, p.statistics)
        if let workers = p.workers { line += String(format: "  workers %d  stale %d", workers, p.dropped) }
        if let e = p.evaluation { line += String(format: "  eval %.1f ± %.1f", e.mean, e.std) }
        return line
    }

    /// The line of an evaluation the learner made while it trained on (it ends after its update's line).
    public static func format(_ e: EvaluationPoint) -> String {
        String(format: "eval after update %d  steps %8d  return %.1f ± %.1f over %d episodes  (%.1f s)", e.update, e.envSteps, e.mean, e.std, e.episodes, e.seconds)
    }

    /// What a command does after each update and each evaluation while training: the TensorBoard scalars, the
    /// `--progress-json` objects, and the line, unless `quiet` or the JSON takes standard output, to `write`
    /// (the executable's console).
    public struct Console: Sendable {
        public let progress: @Sendable (TrainingProgress) -> Void
        public let evaluated: @Sendable (EvaluationPoint) -> Void

        public init(board: TensorBoardLog?, quiet: Bool, json: ProgressJSON? = nil, write: @escaping @Sendable (String) -> Void) {
            let lines = !quiet && json?.isStandardOutput != true
            progress = { p in
                board?.log(p)
                json?.update(p)
                if lines { write(ProgressLine.format(p)) }
            }
            evaluated = { e in
                board?.log(e)
                json?.evaluation(e)
                if lines { write(ProgressLine.format(e)) }
            }
        }
    }

    static func common(update: Int, total: Int, steps: Int, rate: Double, ret: Double?, _ s: UpdateStatistics) -> String {
        let r = ret.map { String(format: "%8.1f", $0) } ?? "       -"
        return String(
            format: "update %4d/%-4d  steps %8d  %7.0f steps/s  return %@  pg %+.4f  v %.4f  ent %.3f  kl %.4f  clip %.3f  ev %+.2f",
            update, total, steps, rate, r, s.policyLoss, s.valueLoss, s.entropy, s.approxKL, s.clipFraction, s.explainedVariance)
    }
}
