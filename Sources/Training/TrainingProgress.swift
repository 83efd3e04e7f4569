import PPOCore

/// What the console and the TensorBoard log show after each update, in one process (`ppo train --workers 0`) and
/// on a learner alike; a learner adds what its workers did (`cluster`).
public struct TrainingProgress: Sendable {
    /// A learner's view of its workers at the update.
    public struct Cluster: Sendable {
        public var workers: Int
        /// Transitions received but never trained on (stale grants, the run's end).
        public var dropped: Int
        /// Frames refused (bad input), by any worker.
        public var rejected: Int

        public init(workers: Int, dropped: Int, rejected: Int) {
            self.workers = workers
            self.dropped = dropped
            self.rejected = rejected
        }
    }

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
    /// Nil in one process.
    public var cluster: Cluster?

    public init(update: Int, totalUpdates: Int, version: UInt64, envSteps: Int, stepsPerSecond: Double, recentReturn: Double?,
                episodes: Int, statistics: UpdateStatistics, elapsedSeconds: Double, cluster: Cluster? = nil) {
        self.update = update
        self.totalUpdates = totalUpdates
        self.version = version
        self.envSteps = envSteps
        self.stepsPerSecond = stepsPerSecond
        self.recentReturn = recentReturn
        self.episodes = episodes
        self.statistics = statistics
        self.elapsedSeconds = elapsedSeconds
        self.cluster = cluster
    }
}
