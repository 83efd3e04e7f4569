import Environments
import PPOCore

/// Collects transitions from a vector env (native, or Gymnasium's through the bridge) with a frozen policy: the
/// worker half of PPO.
///
/// For each of `steps` vector steps: normalise the observations with the policy version's frozen statistics (if
/// the run normalises), sample actions, log-probs and values in one batched forward, step the envs, and record.
/// Where an episode was truncated by the time limit, V(final observation) is evaluated with the same policy so
/// the trainer can bootstrap; after the last step, V(s_T) is recorded for each env. Observations are stored raw.
///
/// The collector keeps the envs running across calls: consecutive batches continue the same episodes.
public final class RolloutCollector {
    public private(set) var env: any VectorEnvironment
    /// Reward scaling is an environment-side transformation (as Gymnasium's `NormalizeReward` wrapper): each
    /// collector keeps its own running statistics.
    public private(set) var rewardScaler: RewardScaler?
    private let rewardClip: Double

    private let normalized = ScratchBuffer()
    private let actionBuffer = ScratchBuffer()
    private let logProbBuffer = ScratchBuffer()
    private let valueBuffer = ScratchBuffer()
    private var doneBuffer: [Bool]

    /// Episodes finished so far, with the env step (counted over this collector) at which each ended.
    public private(set) var envSteps = 0

    public init(env: any VectorEnvironment, scaleRewards: Bool = false, gamma: Double = 0.99, rewardClip: Double = 10) {
        self.env = env
        rewardScaler = scaleRewards ? RewardScaler(environments: env.count, gamma: gamma) : nil
        self.rewardClip = rewardClip
        doneBuffer = Array(repeating: false, count: env.count)
    }

    /// Collects `steps` vector steps (`steps × env.count` transitions) with `policy`, acting on observations as
    /// `preprocessing` makes them (the policy version's statistics and clip), tagging the batch with `version`.
    ///
    /// `onEpisode` is called for every finished episode, with the collector's total env steps at its end.
    public func collect(
        steps: Int, policy: any PolicyNetwork, preprocessing: ObservationPreprocessing,
        version: UInt64, rng: inout RNG, onEpisode: (EpisodeStatistics, Int) -> Void = { _, _ in }
    ) throws(EnvironmentError) -> TransitionBatch {
        let k = env.count
        let obsSize = env.observationSize
        let actSize = env.actionSize
        precondition(policy.observationSize == obsSize && policy.actionSize == actSize, "policy does not fit the environment")
        var batch = TransitionBatch(
            policyVersion: version, envCount: k, steps: steps, observationSize: obsSize, actionSize: actSize)
        let norm = normalized.reserve(k * obsSize)
        let actions = actionBuffer.reserve(k * actSize)
        let logProbs = logProbBuffer.reserve(k)
        let values = valueBuffer.reserve(k)

        for t in 0..<steps {
            // Record s_t raw (into each env's segment); act on its normalised copy.
            env.observations.withUnsafeBufferPointer { obs in
                guard let src = obs.baseAddress else { return }
                norm.update(from: src, count: k * obsSize)
                batch.record(step: t, observations: src)
            }
            preprocessing.apply(norm, rows: k)
            policy.act(
                observations: norm, count: k, deterministic: false, rng: &rng,
                actions: actions, logProbs: logProbs, values: values)
            try env.step(actions: UnsafeBufferPointer(start: actions, count: k * actSize))
            envSteps += k
            record(step: t, actions: actions, logProbs: logProbs, values: values, into: &batch)
            // V(final observation) for time-limit truncations, with the same frozen policy.
            for i in 0..<k where batch.truncated[batch.index(env: i, step: t)] {
                env.finalObservations.withUnsafeBufferPointer { finals in
                    guard let src = finals.baseAddress else { return }
                    norm.update(from: src + i * obsSize, count: obsSize)
                }
                preprocessing.apply(norm, rows: 1)
                policy.value(observations: norm, count: 1, into: values)
                batch.truncationValues[batch.index(env: i, step: t)] = values[0]
            }
            for episode in env.finishedEpisodes {
                let stats = EpisodeStatistics(episodeReturn: episode.episodeReturn, length: episode.length)
                batch.episodes.append(stats)
                onEpisode(stats, envSteps)
            }
        }
        // V(s_T) after the segment.
        env.observations.withUnsafeBufferPointer { obs in
            guard let src = obs.baseAddress else { return }
            norm.update(from: src, count: k * obsSize)
        }
        preprocessing.apply(norm, rows: k)
        policy.value(observations: norm, count: k, into: values)
        for i in 0..<k { batch.bootstrapValues[i] = values[i] }
        return batch
    }

    /// Writes what the envs returned for vector step `t` into each env's segment of `batch`, rewards scaled if
    /// the run scales them (the env's arrays read once: it may be an existential).
    private func record(
        step t: Int, actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>,
        values: UnsafeMutablePointer<Float>, into batch: inout TransitionBatch
    ) {
        let k = env.count
        let state = env.state
        var rewards = state.rewards
        let terminated = state.terminated
        let truncated = state.truncated
        for i in 0..<k { doneBuffer[i] = terminated[i] || truncated[i] }
        if rewardScaler != nil {
            rewards.withUnsafeMutableBufferPointer { r in
                doneBuffer.withUnsafeBufferPointer { done in
                    guard let r = r.baseAddress, let d = done.baseAddress else { return }
                    rewardScaler?.scale(r, done: d, clip: rewardClip)
                }
            }
        }
        batch.record(step: t, actions: actions)
        for i in 0..<k {
            let index = batch.index(env: i, step: t)
            batch.logProbs[index] = logProbs[i]
            batch.values[index] = values[i]
            batch.rewards[index] = rewards[i]
            batch.terminated[index] = terminated[i]
            batch.truncated[index] = FinishedEpisode.isTimeLimitCut(terminated: terminated[i], truncated: truncated[i])
        }
    }
}
