/// The policy and value networks: two separate MLPs (actor, critic) as in the seed, plus a state-independent
/// log-std for continuous action spaces.
///
/// Parameter names follow PyTorch's `state_dict` of the seed's `ActorCritic` (`actor.0.weight` … `critic.4.bias`),
/// then `actor_logstd` (shape `[1, D]`, as CleanRL names it) for continuous actions.
public final class ActorCritic {
    public let observationSize: Int
    public let actionSpace: Space
    /// The distribution the actor's outputs parameterise.
    public let head: PolicyHead
    /// Outputs logits (Discrete) or means (Box).
    public let actor: MLP
    /// Outputs V(s).
    public let critic: MLP
    /// log σ per action dimension; nil for discrete actions.
    public let logStd: Parameter?

    private let meanScratch = ScratchBuffer()

    public init(
        observationSize: Int, actionSpace: Space, hiddenSizes: [Int], activation: Activation,
        initialization: Initialization, initialLogStd: Double = 0, rng: inout RNG
    ) {
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        head = PolicyHead(actionSpace)
        actor = MLP(sizes: [observationSize] + hiddenSizes + [head.outputSize], activation: activation, name: "actor")
        critic = MLP(sizes: [observationSize] + hiddenSizes + [1], activation: activation, name: "critic")
        if let dimension = head.logStdDimension {
            let p = Parameter(name: "actor_logstd", shape: [1, dimension])
            p.value.update(repeating: Float(initialLogStd), count: p.count)
            logStd = p
        } else {
            logStd = nil
        }
        initialization.apply(to: actor, outputGain: 0.01, rng: &rng)
        initialization.apply(to: critic, outputGain: 1.0, rng: &rng)
    }

    /// Convenience: sizes, activation and initialisation from a config.
    public convenience init(observationSize: Int, actionSpace: Space, config: PPOConfig, rng: inout RNG) {
        self.init(
            observationSize: observationSize, actionSpace: actionSpace, hiddenSizes: config.hiddenSizes,
            activation: config.activation, initialization: config.initialization,
            initialLogStd: config.initialLogStd, rng: &rng)
    }

    /// Every trainable parameter, in checkpoint order.
    public var parameters: [Parameter] {
        actor.parameters + critic.parameters + (logStd.map { [$0] } ?? [])
    }

    /// Floats one action occupies (1 for Discrete).
    public var actionSize: Int { head.actionSize }

    /// Samples (or, if `deterministic`, takes the mode / mean of) an action for each of `count` observations.
    ///
    /// observations (B, obs); writes actions (B, actionSize), logProbs (B), values (B).
    public func act(
        observations: UnsafePointer<Float>, count: Int, deterministic: Bool, rng: inout RNG,
        actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>,
        values: UnsafeMutablePointer<Float>
    ) {
        let out = actor.forward(observations, batch: count)
        head.act(
            outputs: out, count: count, logStd: logStd, deterministic: deterministic,
            rng: &rng, actions: actions, logProbs: logProbs)
        value(observations: observations, count: count, into: values)
    }

    /// V(s) for `count` observations (B, obs) into values (B).
    public func value(observations: UnsafePointer<Float>, count: Int, into values: UnsafeMutablePointer<Float>) {
        let v = critic.forward(observations, batch: count)
        values.update(from: v, count: count)
    }

    /// Array convenience for one observation: (action, logProb, value).
    public func act(_ observation: [Float], deterministic: Bool = false, rng: inout RNG) -> (action: [Float], logProb: Float, value: Float) {
        precondition(observation.count == observationSize, "observation has \(observation.count) floats, expected \(observationSize)")
        var action = [Float](repeating: 0, count: actionSize)
        var logProb: Float = 0
        var value: Float = 0
        observation.withUnsafeBufferPointer { obs in
            action.withUnsafeMutableBufferPointer { act in
                guard let obsBase = obs.baseAddress, let actBase = act.baseAddress else { return }
                self.act(
                    observations: obsBase, count: 1, deterministic: deterministic, rng: &rng,
                    actions: actBase, logProbs: &logProb, values: &value)
            }
        }
        return (action, logProb, value)
    }

    /// Copies every parameter value from `other` (same architecture).
    public func copyParameters(from other: ActorCritic) {
        let mine = parameters
        let theirs = other.parameters
        precondition(mine.count == theirs.count, "architectures differ")
        for (a, b) in zip(mine, theirs) {
            precondition(a.count == b.count, "\(a.name): sizes differ")
            a.value.update(from: b.value, count: a.count)
        }
    }

    /// All parameter values as one flat vector in `parameters` order (for snapshots and the wire).
    public var flatParameters: [Float] {
        get { parameters.flatMap(\.values) }
        set {
            var offset = 0
            for p in parameters {
                precondition(offset + p.count <= newValue.count, "flat parameter vector too short")
                newValue.withUnsafeBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    p.value.update(from: base + offset, count: p.count)
                }
                offset += p.count
            }
            precondition(offset == newValue.count, "flat parameter vector has \(newValue.count) floats, expected \(offset)")
        }
    }

    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// The parameters of the actor–critic these sizes make, without making it: two MLPs from the observation
    /// through `hiddenSizes`, to the head's outputs and to the value, and a Gaussian head's log-std. (The
    /// Welcome's check of the learner's network and the worker's sizing use this, so the count has one rule.)
    public static func parameterCount(observationSize: Int, hiddenSizes: [Int], head: PolicyHead) -> Int {
        func mlp(_ sizes: [Int]) -> Int { zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 } }
        return mlp([observationSize] + hiddenSizes + [head.outputSize]) + mlp([observationSize] + hiddenSizes + [1])
            + (head.logStdDimension ?? 0)
    }

    public func zeroGrad() {
        for p in parameters { p.zeroGrad() }
    }
}
