import Foundation

/// When a run judges its greedy policy while it trains (Stable-Baselines3's `EvalCallback`): every `every` updates,
/// `episodes` deterministic episodes on seeds of their own; the best evaluated policy is kept beside the checkpoint,
/// and `stopAtReturn` ends the run once an evaluation's mean return reaches it. Keys `eval_every`,
/// `eval_episodes`, `stop_at_eval_return` (`--eval-every`, `--eval-episodes`, `--stop-at-eval-return`).
public struct EvaluationSchedule: Sendable, Equatable {
    /// Updates between evaluations; nil: none while training.
    public var every: Int?
    /// Episodes of each evaluation, and of `ppo train`'s final one (0: no final evaluation).
    public var episodes = 20
    /// The evaluated mean return that ends the run; nil: none.
    public var stopAtReturn: Double?
    /// Each evaluation records its first episode, and the latest is kept (`--eval-video`; a flag, not a key).
    public var video = false

    public init(every: Int? = nil, episodes: Int = 20, stopAtReturn: Double? = nil) {
        self.every = every
        self.episodes = episodes
        self.stopAtReturn = stopAtReturn
    }

    /// Offset of the evaluations' seeds from the run's: training's envs take seeds derived from the run's seed
    /// itself, and the final evaluation the run's seed + 1,000,000, so the two never see these episodes.
    public static let seedOffset: UInt64 = 2_000_000

    /// The seed every evaluation of a run of `runSeed` starts its episodes from: the same episodes each time, so
    /// two evaluations differ only by the policy.
    public static func seed(runSeed: UInt64) -> UInt64 { runSeed &+ seedOffset }

    /// Whether an evaluation follows update `update` (counted from 1).
    public func isDue(afterUpdate update: Int) -> Bool {
        guard let every, every > 0 else { return false }
        return update % every == 0
    }

    func problems() -> [String] {
        var out: [String] = []
        if let every, every <= 0 { out.append("eval_every must be a positive number of updates (got \(every))") }
        if episodes < 0 { out.append("eval_episodes must not be negative (got \(episodes))") }
        if every != nil, episodes == 0 { out.append("eval_every needs eval_episodes of at least 1") }
        if let target = stopAtReturn {
            if !target.isFinite { out.append("stop_at_eval_return must be a finite number (got \(target))") }
            if every == nil { out.append("stop_at_eval_return needs eval_every: the run is judged by evaluations made while it trains") }
        }
        return out
    }
}
