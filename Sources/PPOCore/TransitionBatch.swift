/// The statistics of one finished episode (undiscounted, unscaled return), carried with a batch for metrics.
public struct EpisodeStatistics: Sendable, Equatable, Codable {
    public var episodeReturn: Double
    public var length: Int

    public init(episodeReturn: Double, length: Int) {
        self.episodeReturn = episodeReturn
        self.length = length
    }
}

/// Transitions collected with one frozen policy version from `envCount` environments over `steps` consecutive
/// steps, time-major (`[t][k]`), as a worker ships them: per env a contiguous segment.
///
/// Observations are the raw environment observations (observation normalisation, if any, is applied by the
/// trainer with the statistics of the same policy version). Rewards are what training should use (scaled if the
/// run scales rewards); episode returns in `episodes` are the environment's own.
public struct TransitionBatch: Sendable, Equatable {
    public var policyVersion: UInt64
    public var envCount: Int
    public var steps: Int
    public var observationSize: Int
    public var actionSize: Int
    /// (T, K, obs)
    public var observations: [Float]
    /// (T, K, act); a discrete action is its index as a Float. Continuous actions are the unclipped samples.
    public var actions: [Float]
    /// (T, K)
    public var rewards: [Float]
    /// (T, K)
    public var terminated: [Bool]
    /// (T, K): the time limit ended the episode (and `terminated` is false).
    public var truncated: [Bool]
    /// V_old(s_t), (T, K)
    public var values: [Float]
    /// log π_old(a_t|s_t), (T, K)
    public var logProbs: [Float]
    /// V_old(final observation) at truncated steps, 0 elsewhere, (T, K)
    public var truncationValues: [Float]
    /// V_old(s_T) for the observation after the last step of each env's segment, (K)
    public var bootstrapValues: [Float]
    /// Episodes that finished inside this batch.
    public var episodes: [EpisodeStatistics]

    /// An empty batch with every column sized for (steps, envCount).
    public init(policyVersion: UInt64, envCount: Int, steps: Int, observationSize: Int, actionSize: Int) {
        self.policyVersion = policyVersion
        self.envCount = envCount
        self.steps = steps
        self.observationSize = observationSize
        self.actionSize = actionSize
        let n = envCount * steps
        observations = Array(repeating: 0, count: n * observationSize)
        actions = Array(repeating: 0, count: n * actionSize)
        rewards = Array(repeating: 0, count: n)
        terminated = Array(repeating: false, count: n)
        truncated = Array(repeating: false, count: n)
        values = Array(repeating: 0, count: n)
        logProbs = Array(repeating: 0, count: n)
        truncationValues = Array(repeating: 0, count: n)
        bootstrapValues = Array(repeating: 0, count: envCount)
        episodes = []
    }

    /// Number of transitions (T·K).
    public var count: Int { envCount * steps }

    /// Whether every column has the size its shape says.
    public var isConsistent: Bool {
        let n = count
        return observations.count == n * observationSize && actions.count == n * actionSize
            && rewards.count == n && terminated.count == n && truncated.count == n && values.count == n
            && logProbs.count == n && truncationValues.count == n && bootstrapValues.count == envCount
    }

    /// GAE for each env's segment (K independent chains), written time-major into `advantages` and `returns`.
    public func computeAdvantages(
        gamma: Float, lambda: Float, handling: GAE.TruncationHandling,
        advantages: inout [Float], returns: inout [Float]
    ) {
        let n = count
        advantages = Array(repeating: 0, count: n)
        returns = Array(repeating: 0, count: n)
        let t = steps
        var r = [Float](repeating: 0, count: t), v = r, tv = r, adv = r, ret = r
        var term = [Bool](repeating: false, count: t), trunc = term
        for k in 0..<envCount {
            for s in 0..<t {
                let i = s * envCount + k
                r[s] = rewards[i]
                v[s] = values[i]
                tv[s] = truncationValues[i]
                term[s] = terminated[i]
                trunc[s] = truncated[i]
            }
            r.withUnsafeBufferPointer { rp in
            v.withUnsafeBufferPointer { vp in
            tv.withUnsafeBufferPointer { tvp in
            term.withUnsafeBufferPointer { termp in
            trunc.withUnsafeBufferPointer { truncp in
            adv.withUnsafeMutableBufferPointer { ap in
            ret.withUnsafeMutableBufferPointer { rtp in
                GAE.compute(
                    rewards: rp, values: vp, terminated: termp, truncated: truncp, truncationValues: tvp,
                    lastValue: bootstrapValues[k], gamma: gamma, lambda: lambda, handling: handling,
                    advantages: ap, returns: rtp)
            }}}}}}}
            for s in 0..<t {
                advantages[s * envCount + k] = adv[s]
                returns[s * envCount + k] = ret[s]
            }
        }
    }
}
