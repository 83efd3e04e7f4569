import Foundation
import PPOCore
import Training

/// The learner's side of its evaluations while training: the evaluator, whether one runs, what they gave so far
/// (the history, the latest video) and how long a full rollout waited for one.
struct LearnerEvaluations {
    /// nil when the run makes no evaluations (`eval_every` unset).
    let job: EvaluationJob?
    /// The evaluations so far (a copy of the evaluator's, taken when each ends).
    private(set) var history: EvaluationHistory
    /// The latest evaluation's first episode (`--eval-video`), for the status page.
    private(set) var latestVideo: PeriodicEvaluation.LatestVideo?
    /// Whether an evaluation runs now.
    private(set) var running = false
    /// When the rollout filled while an evaluation ran.
    private var rolloutWaitingSince: ContinuousClock.Instant?

    init(options: LearnerOptions) {
        job = EvaluationJob(options: options)
        history = options.evaluationHistory
    }

    /// Starts judging `snapshot` on a task of its own when one was taken (an evaluation is due) and the run
    /// evaluates; the task calls `done` with the outcome. nil when there is nothing to evaluate.
    mutating func start(_ snapshot: Checkpoint?,
                        then done: @escaping @Sendable (EvaluationJob.Outcome) async -> Void) -> Task<Void, Never>? {
        guard let snapshot, let job else { return nil }
        running = true
        return Task { await done(await job.evaluate(snapshot)) }
    }

    /// The rollout is full; while an evaluation runs, the next update waits for it from now.
    mutating func rolloutFilled(now: ContinuousClock.Instant = .now) {
        if running, rolloutWaitingSince == nil { rolloutWaitingSince = now }
    }

    /// The evaluation ended with `outcome`; how long a full rollout waited for it, in seconds.
    mutating func ended(_ outcome: EvaluationJob.Outcome, now: ContinuousClock.Instant = .now) -> Double {
        running = false
        history = outcome.history
        if let video = outcome.video { latestVideo = video }
        defer { rolloutWaitingSince = nil }
        return rolloutWaitingSince.map { $0.duration(to: now).secondsValue } ?? 0
    }

    /// The status document's section (nil when the run makes no evaluations).
    var status: RunStatus.Evaluations? {
        guard let schedule = job?.schedule, let every = schedule.every else { return nil }
        return RunStatus.Evaluations(
            every: every, episodes: schedule.episodes, target: schedule.stopAtReturn, points: history.points, best: history.best,
            videoUpdate: latestVideo?.update)
    }
}
