import PPOCore

/// What the console and the TensorBoard log show after each update, in one process (`ppo train --workers 0`) and
/// on a learner alike; a learner adds what its workers did.
public struct TrainingProgress: Sendable {
    public var update: Int
    public var totalUpdates: Int
    public var version: UInt64
    public var envSteps: Int
    /// Env steps per second since the run (or resume) started.
    public var stepsPerSecond: Double
    /// Mean return of the last 20 finished episodes (nil before the first one).
    public var recentReturn: Double?
    public var episodes: Int
    public var statistics: UpdateStatistics
    public var elapsedSeconds: Double
    /// A learner's workers connected at the update (nil in one process).
    public var workers: Int?
    /// Transitions received but never trained on (stale grants, the run's end), and frames refused as bad input.
    public var dropped = 0
    public var rejected = 0
    /// The greedy evaluation made after this update (`eval_every`), if one was.
    public var evaluation: EvaluationPoint?

    public init(update: Int, totalUpdates: Int, version: UInt64, envSteps: Int, stepsPerSecond: Double, recentReturn: Double?,
                episodes: Int, statistics: UpdateStatistics, elapsedSeconds: Double) {
        self.update = update
        self.totalUpdates = totalUpdates
        self.version = version
        self.envSteps = envSteps
        self.stepsPerSecond = stepsPerSecond
        self.recentReturn = recentReturn
        self.episodes = episodes
        self.statistics = statistics
        self.elapsedSeconds = elapsedSeconds
    }
}
