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
/// steps, laid out as the wire carries them (PROTOCOL.md §5.2): column by column, each column component-major and
/// env-contiguous — component `d` of env `k`'s step `t` at `(d·K + k)·T + t`, a scalar at `k·T + t`.
///
/// The collector writes this layout, the codec copies it (no transpose on either side), GAE runs over each env's
/// contiguous segment, and the trainer gathers it into rows once (`appendRows(to:advantages:returns:)`).
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
    /// (obs, K, T)
    public var observations: [Float]
    /// (act, K, T); a discrete action is its index as a Float. Continuous actions are the unclipped samples.
    public var actions: [Float]
    /// (K, T)
    public var rewards: [Float]
    /// (K, T)
    public var terminated: [Bool]
    /// (K, T): the time limit ended the episode (and `terminated` is false).
    public var truncated: [Bool]
    /// V_old(s_t), (K, T)
    public var values: [Float]
    /// log π_old(a_t|s_t), (K, T)
    public var logProbs: [Float]
    /// V_old(final observation) at truncated steps, 0 elsewhere, (K, T)
    public var truncationValues: [Float]
    /// V_old(s_T) for the observation after the last step of each env's segment, (K)
    public var bootstrapValues: [Float]
    /// Episodes that finished inside this batch.
    public var episodes: [EpisodeStatistics]

    /// An empty batch with every column sized for (envCount, steps).
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

    /// Where env `env`'s step `step` sits in a scalar column.
    @inlinable
    public func index(env: Int, step: Int) -> Int { env * steps + step }

    /// Where component `component` of env `env`'s step `step` sits in the observation or action column.
    @inlinable
    public func index(env: Int, step: Int, component: Int) -> Int {
        Self.position(env: env, step: step, component: component, envs: envCount, steps: steps)
    }

    /// The layout's one rule: component `component` of env `env`'s step `step` in a column of `envs` × `steps`.
    @inlinable
    static func position(env: Int, step: Int, component: Int, envs: Int, steps: Int) -> Int {
        (component * envs + env) * steps + step
    }

    /// Writes K observation rows (env by env, as a vector env returns them) as step `step` of every env's segment.
    @inlinable
    public mutating func record(step: Int, observations rows: UnsafePointer<Float>) {
        Self.scatter(rows, width: observationSize, envs: envCount, steps: steps, step: step, into: &observations)
    }

    /// Writes K action rows (env by env, as the policy samples them) as step `step` of every env's segment.
    @inlinable
    public mutating func record(step: Int, actions rows: UnsafePointer<Float>) {
        Self.scatter(rows, width: actionSize, envs: envCount, steps: steps, step: step, into: &actions)
    }

    @inlinable
    static func scatter(_ rows: UnsafePointer<Float>, width: Int, envs k: Int, steps t: Int, step: Int, into column: inout [Float]) {
        precondition(step >= 0 && step < t && column.count == k * t * width, "a step outside the batch")
        column.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return }
            for env in 0..<k {
                for d in 0..<width { base[position(env: env, step: step, component: d, envs: k, steps: t)] = rows[env * width + d] }
            }
        }
    }

    /// Whether every column has the size its shape says.
    public var isConsistent: Bool {
        let n = count
        return observations.count == n * observationSize && actions.count == n * actionSize
            && rewards.count == n && terminated.count == n && truncated.count == n && values.count == n
            && logProbs.count == n && truncationValues.count == n && bootstrapValues.count == envCount
    }

    /// GAE for each env's segment (K independent chains, each contiguous), written in the batch's layout (K, T)
    /// into `advantages` and `returns`.
    public func computeAdvantages(
        gamma: Float, lambda: Float, handling: GAE.TruncationHandling,
        advantages: inout [Float], returns: inout [Float]
    ) {
        let n = count
        advantages = Array(repeating: 0, count: n)
        returns = Array(repeating: 0, count: n)
        guard n > 0 else { return }
        let t = steps
        rewards.withUnsafeBufferPointer { r in
        values.withUnsafeBufferPointer { v in
        truncationValues.withUnsafeBufferPointer { tv in
        terminated.withUnsafeBufferPointer { term in
        truncated.withUnsafeBufferPointer { trunc in
        advantages.withUnsafeMutableBufferPointer { adv in
        returns.withUnsafeMutableBufferPointer { ret in
            guard let r = r.baseAddress, let v = v.baseAddress, let tv = tv.baseAddress, let term = term.baseAddress,
                  let trunc = trunc.baseAddress, let adv = adv.baseAddress, let ret = ret.baseAddress else { return }
            for e in 0..<envCount {
                let s = e * t
                GAE.compute(
                    steps: t, rewards: r + s, values: v + s, terminated: term + s, truncated: trunc + s,
                    truncationValues: tv + s, lastValue: bootstrapValues[e], gamma: gamma, lambda: lambda,
                    handling: handling, advantages: adv + s, returns: ret + s)
            }
        }}}}}}}
    }

    /// Appends the batch to `rollout` as rows, time-major (step t of env k at row `t·K + k` after what `rollout`
    /// held), with `advantages` and `returns` in the batch's layout: the one gather between the collector's layout
    /// and the trainer's minibatches. The row order is the seed's (`buffer.reshape(T·K, …)`).
    public func appendRows(to rollout: inout Rollout, advantages: [Float], returns: [Float]) {
        precondition(isConsistent && advantages.count == count && returns.count == count, "advantages do not fit the batch")
        for step in 0..<steps {
            for env in 0..<envCount {
                for d in 0..<observationSize { rollout.observations.append(observations[index(env: env, step: step, component: d)]) }
                for d in 0..<actionSize { rollout.actions.append(actions[index(env: env, step: step, component: d)]) }
                let i = index(env: env, step: step)
                rollout.logProbs.append(logProbs[i])
                rollout.values.append(values[i])
                rollout.advantages.append(advantages[i])
                rollout.returns.append(returns[i])
            }
        }
    }

    /// The observations as rows, time-major ((T·K, obs), the seed's layout).
    public var observationRows: [Float] {
        var rows = [Float](repeating: 0, count: observations.count)
        for step in 0..<steps {
            for env in 0..<envCount {
                for d in 0..<observationSize {
                    rows[(step * envCount + env) * observationSize + d] = observations[index(env: env, step: step, component: d)]
                }
            }
        }
        return rows
    }
}
