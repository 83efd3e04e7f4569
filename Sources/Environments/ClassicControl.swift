import PPOCore

/// The five native classic-control envs' common shape: a reset draws the initial state from Gymnasium's reset
/// distribution (`resetState`, which also zeroes `elapsedSteps`) and writes the observation (`writeObservation`).
/// The reset itself — buffer check, re-seeding, state, observation —, the action check and the end of a step (the
/// time limit) are written once, here.
public protocol ClassicControl: Environment {
    /// Draws the initial state with `rng` and sets `elapsedSteps` to 0.
    mutating func resetState()
    /// Writes the observation of the current state (`spec.observationSize` floats).
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>)
    /// `StepShape(spec)`, stored once by each env: a step reads these numbers without copying the spec's spaces.
    static var stepShape: StepShape { get }
}

/// What every step of a classic-control env checks against, derived from its spec once.
public struct StepShape: Sendable {
    /// The number of actions of a `Discrete` action space; nil for a `Box`.
    let discreteActions: Int?
    /// Floats in an action and in an observation.
    let actionSize: Int
    let observationSize: Int
    let maxEpisodeSteps: Int

    public init(_ spec: EnvironmentSpec) {
        if case .discrete(let n) = spec.actionSpace { discreteActions = n } else { discreteActions = nil }
        actionSize = spec.actionSize
        observationSize = spec.observationSize
        maxEpisodeSteps = spec.maxEpisodeSteps
    }
}

extension ClassicControl {
    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        checkObservationBuffer(observation, Self.spec.observationSize)
        if let seed { rng = RNG(seed: seed) }
        resetState()
        writeObservation(into: observation)
    }

    /// Checks an action against `spec.actionSpace`, as each env's `step` does first: one integral index in range
    /// for a `Discrete` space, the right number of finite floats for a `Box`.
    public func validate(action: UnsafeBufferPointer<Float>) throws(EnvironmentError) {
        _ = try checkedAction(action)
    }

    /// The start of every step: the action checked (`validate`) — its index for a `Discrete` space, 0 for a `Box` —
    /// and the observation buffer's size.
    @inline(__always)
    func beginStep(_ action: UnsafeBufferPointer<Float>, _ observation: UnsafeMutableBufferPointer<Float>) throws(EnvironmentError) -> Int {
        let index = try checkedAction(action)
        checkObservationBuffer(observation, Self.stepShape.observationSize)
        return index
    }

    @inline(__always)
    private func checkedAction(_ action: UnsafeBufferPointer<Float>) throws(EnvironmentError) -> Int {
        let shape = Self.stepShape
        if let count = shape.discreteActions { return try discreteIndex(action, count: count, envID: Self.spec.id) }
        try checkBox(action, dimension: shape.actionSize, envID: Self.spec.id)
        return 0
    }

    /// The end of every step: the time limit counts it (Gymnasium's `TimeLimit`: truncated once `elapsedSteps`
    /// reaches `spec.maxEpisodeSteps`, also on a terminal step) and the observation is written.
    mutating func endStep(reward: Double, terminated: Bool, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        elapsedSteps += 1
        writeObservation(into: observation)
        return StepResult(reward: reward, terminated: terminated, truncated: elapsedSteps >= Self.stepShape.maxEpisodeSteps)
    }
}
