import PPOCore

/// The five native classic-control envs' common shape: a reset draws the initial state from Gymnasium's reset
/// distribution (`resetState`, which also zeroes `elapsedSteps`) and writes the observation (`writeObservation`).
/// The reset itself — buffer check, re-seeding, state, observation — and the end of a step (the time limit) are
/// written once, here.
public protocol ClassicControl: Environment {
    /// Draws the initial state with `rng` and sets `elapsedSteps` to 0.
    mutating func resetState()
    /// Writes the observation of the current state (`spec.observationSize` floats).
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>)
}

extension ClassicControl {
    public mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>) {
        checkObservationBuffer(observation, Self.spec.observationSize)
        if let seed { rng = RNG(seed: seed) }
        resetState()
        writeObservation(into: observation)
    }

    /// The end of every step: the time limit counts it (Gymnasium's `TimeLimit`: truncated once `elapsedSteps`
    /// reaches `spec.maxEpisodeSteps`, also on a terminal step) and the observation is written.
    mutating func endStep(reward: Double, terminated: Bool, into observation: UnsafeMutableBufferPointer<Float>) -> StepResult {
        elapsedSteps += 1
        writeObservation(into: observation)
        return StepResult(reward: reward, terminated: terminated, truncated: elapsedSteps >= Self.spec.maxEpisodeSteps)
    }
}
