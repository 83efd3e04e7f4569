/// The policy and value networks: two separate MLPs (actor, critic) as in the seed, plus a state-independent
/// log-std for continuous action spaces.
///
/// Parameter names follow PyTorch's `state_dict` of the seed's `ActorCritic` (`actor.0.weight` … `critic.4.bias`),
/// then `actor_logstd` (shape `[1, D]`, as CleanRL names it) for continuous actions.
public final class ActorCritic: PolicyNetwork {
    public let spec: NetworkSpec
    /// Outputs logits (Discrete) or means (Box).
    public let actor: MLP
    /// Outputs V(s).
    public let critic: MLP
    /// log σ per action dimension; nil for discrete actions.
    public let logStd: Parameter?

    public init(
        observationSize: Int, head: PolicyHead, hiddenSizes: [Int], activation: Activation,
        initialization: Initialization, initialLogStd: Double = 0, rng: inout RNG
    ) {
        spec = .separate(observationSize: observationSize, hiddenSizes: hiddenSizes, activation: activation, head: head)
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

    /// Convenience: the head of `actionSpace`; sizes, activation and initialisation from a config.
    public convenience init(observationSize: Int, actionSpace: Space, config: PPOConfig, rng: inout RNG) {
        self.init(
            observationSize: observationSize, head: PolicyHead(actionSpace), hiddenSizes: config.hiddenSizes,
            activation: config.activation, initialization: config.initialization,
            initialLogStd: config.initialLogStd, rng: &rng)
    }

    /// A network of the same shape (its parameters to be copied or loaded).
    public func twin() -> ActorCritic {
        var rng = RNG(seed: 0)
        return ActorCritic(
            observationSize: observationSize, head: head, hiddenSizes: actor.layers.dropLast().map(\.outFeatures),
            activation: actor.activation, initialization: .orthogonal, rng: &rng)
    }

    /// Every trainable parameter, in checkpoint order.
    public var parameters: [Parameter] {
        actor.parameters + critic.parameters + (logStd.map { [$0] } ?? [])
    }

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

    /// The parameters of the actor–critic these sizes make, without making it: two MLPs from the observation
    /// through `hiddenSizes`, to the head's outputs and to the value, and a Gaussian head's log-std. (The
    /// Welcome's check of the learner's network and the worker's sizing use this, so the count has one rule.)
    public static func parameterCount(observationSize: Int, hiddenSizes: [Int], head: PolicyHead) -> Int {
        func mlp(_ sizes: [Int]) -> Int { zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 } }
        return mlp([observationSize] + hiddenSizes + [head.outputSize]) + mlp([observationSize] + hiddenSizes + [1])
            + (head.logStdDimension ?? 0)
    }
}
