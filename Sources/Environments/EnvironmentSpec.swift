import PPOCore

/// The fixed description of an environment kind, as Gymnasium's `EnvSpec` plus the env's spaces.
public struct EnvironmentSpec: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
    /// Gymnasium id, e.g. `CartPole-v1`.
    public var id: String
    public var observationSpace: Space
    public var actionSpace: Space
    /// Time limit in steps, reported as truncation.
    public var maxEpisodeSteps: Int
    /// Gymnasium's `reward_threshold`: the mean episode return that counts as solved (nil: none).
    public var rewardThreshold: Double?
    /// Names of the internal state's components, in order (its size is `stateSize`).
    public var stateNames: [String]
    /// The env's own observation space, as Gymnasium prints it, when the bridge flattened it into
    /// `observationSpace` (a Dict, a Tuple, an image, a Discrete…); nil when it was a one-dimensional Box already.
    public var observationFlattenedFrom: String?
    /// The env's own action space when it is a Box of more than one dimension, which `actionSpace` flattens.
    public var actionFlattenedFrom: String?
    /// The images in the flat observation (uint8 Boxes of 0–255 and bool Boxes, of 2 or 3 axes), in its order:
    /// what a convolutional encoder can read (`NetworkSpec.choose`). Empty for the native envs.
    public var images: [ImageLayout] = []

    public init(
        id: String, observationSpace: Space, actionSpace: Space, maxEpisodeSteps: Int, rewardThreshold: Double?,
        stateNames: [String], observationFlattenedFrom: String? = nil, actionFlattenedFrom: String? = nil
    ) {
        self.id = id
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.stateNames = stateNames
        self.observationFlattenedFrom = observationFlattenedFrom
        self.actionFlattenedFrom = actionFlattenedFrom
    }

    /// The network a run of `config` trains on this env (`NetworkSpec.choose`).
    public func network(config: PPOConfig) throws(NetworkSpecError) -> NetworkSpec {
        try NetworkSpec.choose(observationSize: observationSize, images: images, head: PolicyHead(actionSpace), config: config)
    }

    /// Number of floats in an observation.
    public var observationSize: Int { observationSpace.flatSize }
    /// Number of floats in an action (1 for a discrete action).
    public var actionSize: Int { actionSpace.flatSize }
    /// Number of Doubles in the internal state.
    public var stateSize: Int { stateNames.count }

    /// What the bridge flattened, for the console at a run's start (nil when both spaces were flat already).
    public var flatteningNote: String? {
        var parts: [String] = []
        if let from = observationFlattenedFrom { parts.append("observation \(from) → \(observationSize) values") }
        if let from = actionFlattenedFrom { parts.append("action \(from) → \(actionSize) values") }
        return parts.isEmpty ? nil : "flattened as gymnasium.spaces.flatten does: " + parts.joined(separator: "; ")
    }

    public var description: String {
        let threshold = rewardThreshold.map { "\($0)" } ?? "none"
        let observation = observationFlattenedFrom.map { "\(observationSpace) (flattened from \($0))" } ?? "\(observationSpace)"
        let action = actionFlattenedFrom.map { "\(actionSpace) (flattened from \($0))" } ?? "\(actionSpace)"
        return "\(id): observation \(observation), action \(action), "
            + "max episode steps \(maxEpisodeSteps), reward threshold \(threshold)"
    }
}
