/// The returns of a run's last training episodes: the mean the progress line, the status page and the summaries
/// show, and the rule that ends a run early once that mean reaches `stop_at_return` (RLlib's
/// `stop={"episode_reward_mean": …}`, Stable-Baselines3's `StopTrainingOnRewardThreshold`). One window for
/// `ppo train --workers 0` and the learner alike, kept in the checkpoint so a resumed run goes on from it.
public struct RecentReturns: Sendable, Equatable {
    /// Episodes averaged (the same window as the seed's driver).
    public static let window = 20

    /// The last returns, oldest first; at most `window`.
    public private(set) var values: [Double]

    public init() { values = [] }

    /// The window a checkpoint saved, checked: at most `window` finite returns.
    public init?(saved: [Double]) {
        guard saved.count <= Self.window, saved.allSatisfy(\.isFinite) else { return nil }
        values = saved
    }

    public mutating func append(_ episodeReturn: Double) {
        values.append(episodeReturn)
        if values.count > Self.window { values.removeFirst(values.count - Self.window) }
    }

    /// The mean of the window (nil before the first episode).
    public var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }

    /// Whether the window is full and its mean is at least `target` (never for nil: the run has no target).
    /// A full window keeps a few lucky first episodes from ending a run.
    public func reaches(_ target: Double?) -> Bool {
        guard let target, values.count == Self.window, let mean else { return false }
        return mean >= target
    }

    /// The log line of a run that ends because the window reached `target` after update `update` of `total`.
    public func reachedLine(target: Double, update: Int, of total: Int) -> String {
        "the mean return of the last \(Self.window) episodes, \(mean ?? 0), reached --stop-at-return \(target) after update \(update) of \(total): the run is finished"
    }
}
