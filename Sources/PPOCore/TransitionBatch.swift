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
        guard n > 0 else { return }
        let k = envCount
        // Env `e`'s segment is every k-th entry from entry e: GAE reads and writes it in place.
        rewards.withUnsafeBufferPointer { r in
        values.withUnsafeBufferPointer { v in
        truncationValues.withUnsafeBufferPointer { tv in
        terminated.withUnsafeBufferPointer { term in
        truncated.withUnsafeBufferPointer { trunc in
        advantages.withUnsafeMutableBufferPointer { adv in
        returns.withUnsafeMutableBufferPointer { ret in
            guard let r = r.baseAddress, let v = v.baseAddress, let tv = tv.baseAddress, let term = term.baseAddress,
                  let trunc = trunc.baseAddress, let adv = adv.baseAddress, let ret = ret.baseAddress else { return }
            for e in 0..<k {
                GAE.compute(
                    steps: steps, stride: k, rewards: r + e, values: v + e, terminated: term + e, truncated: trunc + e,
                    truncationValues: tv + e, lastValue: bootstrapValues[e], gamma: gamma, lambda: lambda,
                    handling: handling, advantages: adv + e, returns: ret + e)
            }
        }}}}}}}
    }
}
