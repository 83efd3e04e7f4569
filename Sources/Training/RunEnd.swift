/// Why a run is over: the one rule for the learner, the one-process loop and the resume rules. A run ends after
/// its last update, or earlier, with a checkpoint, once the mean return of its last training episodes reaches
/// `stop_at_return` or its latest greedy evaluation reaches `stop_at_eval_return` (a stop requested by a signal is
/// not a run end: the run resumes from it).
public enum RunEnd: Sendable, Equatable {
    /// Every update of the run was made.
    case allUpdates
    /// The mean return of the last training episodes reached `stop_at_return`, this target.
    case returnTarget(Double)
    /// The latest greedy evaluation reached `stop_at_eval_return`, this target.
    case evaluationTarget(Double)

    /// How `run` stands after `updates` updates, with these training episodes and evaluations: the first rule
    /// that holds, in the order above, or nil while the run goes on.
    public static func check(_ run: RunConfiguration, updates: Int, recent: RecentReturns, evaluations: EvaluationHistory) -> RunEnd? {
        if updates >= run.totalUpdates { return .allUpdates }
        if let target = run.stopAtReturn, recent.reaches(target) { return .returnTarget(target) }
        if let target = run.evaluation.stopAtReturn, evaluations.reaches(target) { return .evaluationTarget(target) }
        return nil
    }

    /// Whether `stop_at_return`, or `stop_at_eval_return`, ended the run.
    public var isReturnTarget: Bool { if case .returnTarget = self { true } else { false } }
    public var isEvaluationTarget: Bool { if case .evaluationTarget = self { true } else { false } }

    /// What the workers are told (a Goodbye's message).
    public var goodbye: String {
        switch self {
        case .allUpdates: "training complete"
        case .returnTarget: "training complete (reached the return target)"
        case .evaluationTarget: "training complete (a greedy evaluation reached its target)"
        }
    }

    /// The log line of a run that ends here after update `update` of `total`.
    public func line(update: Int, of total: Int, recent: RecentReturns, evaluations: EvaluationHistory) -> String {
        switch self {
        case .allUpdates: "update \(update) of \(total) made: the run is finished"
        case .returnTarget(let target): recent.reachedLine(target: target, update: update, of: total)
        case .evaluationTarget(let target): evaluations.reachedLine(target: target, of: total)
        }
    }
}
