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

    public init(
        id: String, observationSpace: Space, actionSpace: Space, maxEpisodeSteps: Int, rewardThreshold: Double?,
        stateNames: [String]
    ) {
        self.id = id
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.maxEpisodeSteps = maxEpisodeSteps
        self.rewardThreshold = rewardThreshold
        self.stateNames = stateNames
    }

    /// Number of floats in an observation.
    public var observationSize: Int { observationSpace.flatSize }
    /// Number of floats in an action (1 for a discrete action).
    public var actionSize: Int { actionSpace.flatSize }
    /// Number of Doubles in the internal state.
    public var stateSize: Int { stateNames.count }

    public var description: String {
        let threshold = rewardThreshold.map { "\($0)" } ?? "none"
        return "\(id): observation \(observationSpace), action \(actionSpace), "
            + "max episode steps \(maxEpisodeSteps), reward threshold \(threshold)"
    }
}
