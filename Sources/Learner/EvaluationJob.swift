import Dispatch
import Foundation
import Logging
import Training

/// The learner's greedy evaluations while it trains (`eval_every`). Each one evaluates the state its update left
/// (a snapshot, so the trainer is free) on a Dispatch thread: in this process for a native env, in one bridge
/// process kept from one evaluation to the next for a `gym:` env. The weights of that update are already with the
/// workers, who collect the next rollout meanwhile; `LearnerCore` starts no update until the evaluation has ended,
/// so at most one thread trains or evaluates at a time, and it counts how long a full rollout waited for it.
final class EvaluationJob: Sendable {
    /// What an evaluation left: its point (nil: it failed, and was logged) and the history and video after it.
    struct Outcome: Sendable {
        var point: EvaluationPoint?
        var history: EvaluationHistory
        var video: PeriodicEvaluation.LatestVideo?
    }

    private let evaluation: Exclusive<PeriodicEvaluation>
    let schedule: EvaluationSchedule

    /// nil when the run does not evaluate while training.
    init?(options: LearnerOptions) {
        guard options.run.evaluation.every != nil else { return nil }
        schedule = options.run.evaluation
        evaluation = Exclusive(PeriodicEvaluation(
            schedule: options.run.evaluation, selection: options.run.environment, runSeed: options.seed, bridge: options.bridge,
            folder: options.checkpoints.url?.deletingLastPathComponent(), history: options.evaluationHistory))
    }

    /// The evaluations so far (read only between evaluations).
    var history: EvaluationHistory { evaluation.value.history }

    /// Evaluates `snapshot`, the state after one update.
    func evaluate(_ snapshot: Checkpoint) async -> Outcome {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let e = self.evaluation.value
                let point = e.evaluate(snapshot)
                continuation.resume(returning: Outcome(point: point, history: e.history, video: e.latestVideo))
            }
        }
    }
}
