/// A collected rollout ready for the PPO epochs: N transitions as flat columns.
public struct Rollout: Sendable {
    /// (N, obs)
    public var observations: [Float]
    /// (N, actionSize); a discrete action is its index as a Float.
    public var actions: [Float]
    /// log π_old(a|s), (N)
    public var logProbs: [Float]
    /// V_old(s), (N)
    public var values: [Float]
    /// GAE advantages, (N), not normalised.
    public var advantages: [Float]
    /// Value targets A + V_old, (N)
    public var returns: [Float]

    public init(observations: [Float], actions: [Float], logProbs: [Float], values: [Float], advantages: [Float], returns: [Float]) {
        self.observations = observations
        self.actions = actions
        self.logProbs = logProbs
        self.values = values
        self.advantages = advantages
        self.returns = returns
    }

    /// An empty rollout with room for `rows` rows.
    public init(reservingRows rows: Int, observationSize: Int, actionSize: Int) {
        self.init(observations: [], actions: [], logProbs: [], values: [], advantages: [], returns: [])
        observations.reserveCapacity(rows * observationSize)
        actions.reserveCapacity(rows * actionSize)
        for column in [\Rollout.logProbs, \.values, \.advantages, \.returns] { self[keyPath: column].reserveCapacity(rows) }
    }

    public var count: Int { logProbs.count }

    /// Whether every column has `count` rows of its width.
    func isConsistent(observationSize: Int, actionSize: Int) -> Bool {
        let n = count
        return observations.count == n * observationSize && actions.count == n * actionSize && values.count == n
            && advantages.count == n && returns.count == n
    }
}

/// Means over the minibatches of one update, plus what CleanRL logs after it.
public struct UpdateStatistics: Sendable, Equatable {
    public var policyLoss: Double = 0
    public var valueLoss: Double = 0
    public var entropy: Double = 0
    public var approxKL: Double = 0
    public var clipFraction: Double = 0
    /// Mean global gradient norm before clipping.
    public var gradNorm: Double = 0
    /// 1 − Var(R − V_old)/Var(R) over the rollout.
    public var explainedVariance: Double = .nan
    public var minibatches: Int = 0
    public var epochs: Int = 0
    public var learningRate: Double = 0

    public init() {}

    init(learningRate: Double) { self.learningRate = learningRate }

    /// Adds one minibatch's losses and gradient norm (summed; `averaged()` divides by the minibatches).
    mutating func add(_ loss: PPOLoss.Statistics, gradNorm: Float) {
        policyLoss += Double(loss.policyLoss)
        valueLoss += Double(loss.valueLoss)
        entropy += Double(loss.entropy)
        approxKL += Double(loss.approxKL)
        clipFraction += Double(loss.clipFraction)
        self.gradNorm += Double(gradNorm)
        minibatches += 1
    }

    /// The sums of `add` as means over the minibatches.
    func averaged() -> UpdateStatistics {
        var s = self
        let m = Double(max(minibatches, 1))
        s.policyLoss /= m
        s.valueLoss /= m
        s.entropy /= m
        s.approxKL /= m
        s.clipFraction /= m
        s.gradNorm /= m
        return s
    }
}

/// Runs PPO updates of the seed's network (`ActorCritic`) with Adam: the minibatch step (forward, loss, backward,
/// clip, Adam); the epochs over a rollout are `PolicyUpdater.update`'s. All scratch memory is owned here and reused.
///
/// With `threads: 2` the actor's pass (policy head, surrogate, entropy, backward) and the critic's (value loss,
/// backward) run on two threads; they meet for the global gradient norm (the actor's sum of squares plus the
/// critic's, in that order, on one thread as on two) and each group then takes its Adam step. The results are
/// bit-identical to one thread's. With three or more, the minibatch is split over that many threads instead
/// (`MinibatchShards`): deterministic for a given thread count, equal to one thread's up to float rounding.
public final class PPOUpdater: PolicyUpdater {
    public let model: ActorCritic
    public var network: any PolicyNetwork { model }
    public let optimizer: Adam
    public let config: PPOConfig
    public let coefficients: PPOLoss.Coefficients
    /// 1, 2 (actor and critic in parallel) or more (the minibatch split into that many shards).
    public let threads: Int
    /// The optimizer's parameters by group: the actor's (with the log-std) and the critic's.
    private let actorGroup: [Parameter]
    private let criticGroup: [Parameter]
    private let actorIndices: [Int]
    private let criticIndices: Range<Int>
    private let helper: SpinningHelper?
    private let shards: MinibatchShards?
    /// What the critic's pass of the current minibatch left (written on the helper thread, read after `wait`).
    private var criticLoss: Float = 0
    private var criticSumOfSquares = 0.0

    // Per-sample intermediates.
    private let newLogProbs = ScratchBuffer()
    private let entropies = ScratchBuffer()
    private let newValues = ScratchBuffer()
    private let dLogProbs = ScratchBuffer()
    private let dEntropies = ScratchBuffer()
    private let dValues = ScratchBuffer()
    private let headScratch = PolicyHead.Scratch()
    private let dActorOut = ScratchBuffer()
    private var lastCount = 0
    /// The epochs' minibatch columns.
    public let epochScratch = EpochScratch()

    public init(model: ActorCritic, config: PPOConfig, threads: Int = 1) {
        precondition((1...Self.maxThreads).contains(threads), "the update runs on 1 to \(Self.maxThreads) threads")
        self.model = model
        self.config = config
        self.threads = threads
        coefficients = PPOLoss.Coefficients(config)
        optimizer = Adam(parameters: model.parameters, config: config)
        // model.parameters is actor, critic, then the log-std.
        let actorCount = model.actor.parameters.count, criticCount = model.critic.parameters.count
        criticIndices = actorCount..<(actorCount + criticCount)
        actorIndices = Array(0..<actorCount) + (model.logStd == nil ? [] : [actorCount + criticCount])
        let all = model.parameters
        actorGroup = actorIndices.map { all[$0] }
        criticGroup = criticIndices.map { all[$0] }
        helper = threads == 2 ? SpinningHelper() : nil
        shards = threads > 2 ? MinibatchShards(model: model, config: config, count: threads) : nil
    }

    deinit { helper?.stop() }

    /// Most threads an update can use (a shard of a 64-row minibatch has 2 rows at this count).
    public static let maxThreads = 32

    /// Zeroes the gradients, then forward + loss + backward on one minibatch of `count` rows (given contiguous).
    /// Gradients are left in the parameters; advantages are used as given. With three threads or more, the
    /// minibatch's shards are computed in parallel and reduced (`MinibatchShards`).
    public func computeGradients(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> PPOLoss.Statistics {
        if let shards {
            return shards.computeGradients(
                main: self, observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                returns: returns, oldValues: oldValues, rows: count)
        }
        return wholeMinibatchGradients(
            observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages, returns: returns,
            oldValues: oldValues, count: count)
    }

    /// `computeGradients` on this thread, whatever the thread count (a shard's, or one thread's).
    func wholeMinibatchGradients(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> PPOLoss.Statistics {
        var stats = actorPass(observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages, count: count)
        stats.valueLoss = criticPass(observations: observations, returns: returns, oldValues: oldValues, count: count)
        return stats.completed(coefficients)
    }

    /// The actor's half of a minibatch: its gradients zeroed, then the policy head's forward pass, the surrogate
    /// and entropy terms, and the backward pass into the actor and the log-std. Touches only the actor's
    /// parameters and scratch.
    func actorPass(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, count: Int
    ) -> PPOLoss.Statistics {
        for p in actorGroup { p.zeroGrad() }
        lastCount = count
        let newLogProb = newLogProbs.reserve(count)
        let entropy = entropies.reserve(count)
        let dLogProb = dLogProbs.reserve(count)
        let dEntropy = dEntropies.reserve(count)
        let actorOut = model.actor.forward(observations, batch: count)
        let logStd = model.logStd
        model.head.evaluate(
            outputs: actorOut, actions: actions, count: count, logStd: logStd,
            logProb: newLogProb, entropy: entropy, scratch: headScratch)
        let stats = PPOLoss.policy(
            newLogProb: newLogProb, entropy: entropy, oldLogProb: oldLogProbs, advantages: advantages, count: count,
            coefficients: coefficients, dNewLogProb: dLogProb, dEntropy: dEntropy)
        let dOut = dActorOut.reserve(count * model.actor.outputSize)
        model.head.backward(
            outputs: actorOut, actions: actions, count: count, logStd: logStd, dLogProb: dLogProb, dEntropy: dEntropy,
            scratch: headScratch, dOutputs: dOut)
        model.actor.backward(dOut)
        return stats
    }

    /// The critic's half: its gradients zeroed, the value forward pass, the value loss and the backward pass.
    /// Touches only the critic's parameters and scratch; returns the value loss.
    func criticPass(observations: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int) -> Float {
        for p in criticGroup { p.zeroGrad() }
        let newValue = newValues.reserve(count)
        let dValue = dValues.reserve(count)
        let v = model.critic.forward(observations, batch: count)
        newValue.update(from: v, count: count)
        let loss = PPOLoss.value(newValue: newValue, returns: returns, oldValues: oldValues, count: count, coefficients: coefficients, dNewValue: dValue)
        model.critic.backward(dValue)  // (B, 1) is (B) contiguous
        return loss
    }

    /// Per-sample results of the last `computeGradients` (for tests and diagnostics).
    public var lastNewLogProbs: [Float] { Array(UnsafeBufferPointer(start: newLogProbs.pointer, count: lastCount)) }
    public var lastEntropies: [Float] { Array(UnsafeBufferPointer(start: entropies.pointer, count: lastCount)) }
    public var lastNewValues: [Float] { Array(UnsafeBufferPointer(start: newValues.pointer, count: lastCount)) }

    /// One full minibatch step: gradients, global-norm clip, Adam. Returns the loss statistics and the norm
    /// before clipping. With two threads the critic's pass and its Adam step run on the helper.
    public func minibatchStep(
        observations: UnsafePointer<Float>, actions: UnsafePointer<Float>, oldLogProbs: UnsafePointer<Float>,
        advantages: UnsafePointer<Float>, returns: UnsafePointer<Float>, oldValues: UnsafePointer<Float>, count: Int
    ) -> (loss: PPOLoss.Statistics, gradNorm: Float) {
        if shards != nil {
            let loss = computeGradients(
                observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                returns: returns, oldValues: oldValues, count: count)
            return (loss, clipAndStep(actorSumOfSquares: gradSumOfSquares(actorGroup), criticSumOfSquares: gradSumOfSquares(criticGroup)))
        }
        let critic = { [self] in
            criticLoss = criticPass(observations: observations, returns: returns, oldValues: oldValues, count: count)
            criticSumOfSquares = gradSumOfSquares(criticGroup)
        }
        if let helper { helper.run(critic) }
        var loss = actorPass(observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages, count: count)
        let actorSumOfSquares = gradSumOfSquares(actorGroup)
        if let helper { helper.wait() } else { critic() }
        loss.valueLoss = criticLoss
        return (loss.completed(coefficients), clipAndStep(actorSumOfSquares: actorSumOfSquares, criticSumOfSquares: criticSumOfSquares))
    }

    /// The global-norm clip and Adam's step on the gradients in the parameters; returns the norm before clipping.
    /// The norm adds the two groups' sums in one fixed order, whatever the thread count; with two threads the
    /// critic's group takes its step on the helper.
    private func clipAndStep(actorSumOfSquares: Double, criticSumOfSquares: Double) -> Float {
        let norm = Float((actorSumOfSquares + criticSumOfSquares).squareRoot())
        let coef = clipCoefficient(norm: norm, maxNorm: config.maxGradNorm)
        let step = optimizer.beginStep()
        let criticStep = { [self] in
            scaleGradients(criticGroup, by: coef)
            optimizer.apply(step, to: criticIndices)
        }
        if let helper { helper.run(criticStep) }
        scaleGradients(actorGroup, by: coef)
        optimizer.apply(step, to: actorIndices)
        if let helper { helper.wait() } else { criticStep() }
        return norm
    }
}

/// One minibatch as arrays (tests, tools). The training loop gathers rows into scratch buffers instead.
public struct Minibatch: Sendable {
    public var observations: [Float]
    public var actions: [Float]
    public var oldLogProbs: [Float]
    public var advantages: [Float]
    public var returns: [Float]
    public var oldValues: [Float]

    public init(observations: [Float], actions: [Float], oldLogProbs: [Float], advantages: [Float], returns: [Float], oldValues: [Float]) {
        self.observations = observations
        self.actions = actions
        self.oldLogProbs = oldLogProbs
        self.advantages = advantages
        self.returns = returns
        self.oldValues = oldValues
    }

    public var count: Int { oldLogProbs.count }

    /// Calls `body` with base pointers of the six columns.
    func withPointers<R>(
        _ body: (UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>, UnsafePointer<Float>,
                 UnsafePointer<Float>, UnsafePointer<Float>) -> R
    ) -> R {
        observations.withUnsafeBufferPointer { o in
        actions.withUnsafeBufferPointer { a in
        oldLogProbs.withUnsafeBufferPointer { lp in
        advantages.withUnsafeBufferPointer { adv in
        returns.withUnsafeBufferPointer { r in
        oldValues.withUnsafeBufferPointer { v in
            // Empty arrays have no base address; a zero-length minibatch never dereferences these.
            let empty = UnsafePointer<Float>(bitPattern: MemoryLayout<Float>.alignment).unsafelyUnwrapped
            return body(o.baseAddress ?? empty, a.baseAddress ?? empty, lp.baseAddress ?? empty,
                        adv.baseAddress ?? empty, r.baseAddress ?? empty, v.baseAddress ?? empty)
        }}}}}}
    }
}

extension PPOUpdater {
    /// `computeGradients` on an array minibatch.
    public func computeGradients(_ batch: Minibatch) -> PPOLoss.Statistics {
        precondition(batch.observations.count == batch.count * model.observationSize
            && batch.actions.count == batch.count * model.actionSize, "minibatch columns disagree with the model")
        return batch.withPointers { o, a, lp, adv, r, v in
            computeGradients(observations: o, actions: a, oldLogProbs: lp, advantages: adv, returns: r, oldValues: v, count: batch.count)
        }
    }
}
