import PPOCore

/// What one environment step returned, besides the observation (which is written into a caller's buffer).
public struct StepResult: Sendable, Equatable {
    /// Reward of the step, as Gymnasium's `float` (a Python double).
    public var reward: Double
    /// The episode reached a terminal state of the MDP: do not bootstrap from the next observation.
    public var terminated: Bool
    /// The episode was cut by the time limit (`maxEpisodeSteps`): bootstrap from V(final observation).
    /// Gymnasium's `TimeLimit` sets it even when `terminated` is also true on the same step.
    public var truncated: Bool

    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }

    /// The episode ended, either way; the env must be reset before it is stepped again.
    public var isDone: Bool { terminated || truncated }
}

/// A step with its observation as an array: the convenient, allocating form for tests and tools.
public struct Transition: Sendable, Equatable {
    public var observation: [Float]
    public var reward: Double
    public var terminated: Bool
    public var truncated: Bool
}

/// A classic-control environment with Gymnasium 1.x semantics.
///
/// - `reset(seed:into:)` starts an episode. A seed re-seeds the env's own `rng`; `nil` continues its stream.
/// - `step(action:into:)` applies an action given as Floats (a `Discrete` action is its index as a Float; a `Box`
///   action may lie outside its bounds, the dynamics clip it where Gymnasium does), writes the next observation and
///   returns reward, `terminated` and `truncated`. The time limit is counted inside the env, as Gymnasium's
///   `TimeLimit` wrapper does: `truncated` is true once `elapsedSteps >= maxEpisodeSteps`.
/// - The internal state is Double, observations are Float (Gymnasium's float32 observations).
///
/// The buffer-based `reset`/`step` do not allocate; the array forms in the extension do.
public protocol Environment: Sendable {
    /// Id, spaces, limits and thresholds of this kind of environment.
    static var spec: EnvironmentSpec { get }

    /// The env's own random number generator, used by `reset` only. Replace it to give the env a stream
    /// derived elsewhere (`VectorEnv` installs `RNG(seed: runSeed).split(envIndex)`).
    var rng: RNG { get set }

    /// Steps taken since the last reset (Gymnasium's `TimeLimit._elapsed_steps`).
    var elapsedSteps: Int { get set }

    /// The full internal state, in Gymnasium's order (`env.unwrapped.state`).
    ///
    /// Setting it requires exactly `spec.stateSize` finite values (a precondition); use `setState(_:)` to get a
    /// typed error instead. Setting it does not touch `elapsedSteps`.
    var state: [Double] { get set }

    /// Starts a new episode: re-seeds `rng` when `seed` is given, draws the initial state from Gymnasium's reset
    /// distribution, sets `elapsedSteps` to 0 and writes the observation into `observation`
    /// (at least `spec.observationSize` floats).
    mutating func reset(seed: UInt64?, into observation: UnsafeMutableBufferPointer<Float>)

    /// Applies `action` (`spec.actionSpace.flatSize` floats), writes the next observation into `observation`
    /// and returns reward and flags. Throws `EnvironmentError.invalidAction` (and leaves the env unchanged) for
    /// an action of the wrong size, a non-finite value, or a discrete value that is not an index in range.
    mutating func step(
        action: UnsafeBufferPointer<Float>, into observation: UnsafeMutableBufferPointer<Float>
    ) throws(EnvironmentError) -> StepResult

    /// Checks `action` as `step` does, without stepping.
    func validate(action: UnsafeBufferPointer<Float>) throws(EnvironmentError)

    /// Writes the observation derived from the current state.
    func writeObservation(into observation: UnsafeMutableBufferPointer<Float>)
}

extension Environment {
    public var spec: EnvironmentSpec { Self.spec }
    /// Gymnasium id, e.g. `CartPole-v1`.
    public var id: String { Self.spec.id }
    public var observationSpace: Space { Self.spec.observationSpace }
    public var actionSpace: Space { Self.spec.actionSpace }
    /// The time limit (Gymnasium's `max_episode_steps`), reported as truncation.
    public var maxEpisodeSteps: Int { Self.spec.maxEpisodeSteps }
    /// Gymnasium's `reward_threshold` (nil for Pendulum-v1, which has none).
    public var rewardThreshold: Double? { Self.spec.rewardThreshold }

    /// The observation derived from the current state.
    public var observation: [Float] {
        var result = [Float](repeating: 0, count: Self.spec.observationSize)
        result.withUnsafeMutableBufferPointer { writeObservation(into: $0) }
        return result
    }

    /// Starts a new episode and returns its first observation (allocates; the hot path uses `reset(seed:into:)`).
    @discardableResult
    public mutating func reset(seed: UInt64? = nil) -> [Float] {
        var result = [Float](repeating: 0, count: Self.spec.observationSize)
        result.withUnsafeMutableBufferPointer { reset(seed: seed, into: $0) }
        return result
    }

    /// Steps with an action given as an array (allocates; the hot path uses `step(action:into:)`).
    public mutating func step(_ action: [Float]) throws(EnvironmentError) -> Transition {
        var observation = [Float](repeating: 0, count: Self.spec.observationSize)
        let result = try action.withUnsafeBufferPointer { (actionBuffer) throws(EnvironmentError) -> StepResult in
            try observation.withUnsafeMutableBufferPointer { (observationBuffer) throws(EnvironmentError) in
                try step(action: actionBuffer, into: observationBuffer)
            }
        }
        return Transition(
            observation: observation, reward: result.reward,
            terminated: result.terminated, truncated: result.truncated)
    }

    /// Steps with a discrete action index.
    public mutating func step(_ action: Int) throws(EnvironmentError) -> Transition {
        try step([Float(action)])
    }

    /// Checks an action given as an array.
    public func validate(_ action: [Float]) throws(EnvironmentError) {
        try action.withUnsafeBufferPointer { (buffer) throws(EnvironmentError) in try validate(action: buffer) }
    }

    /// Sets the full internal state, checking it: `spec.stateSize` finite values.
    public mutating func setState(_ values: [Double]) throws(EnvironmentError) {
        guard values.count == Self.spec.stateSize else {
            throw .invalidState(
                envID: Self.spec.id, state: values,
                reason: "expected \(Self.spec.stateSize) values \(Self.spec.stateNames), got \(values.count)")
        }
        if let index = values.firstIndex(where: { !$0.isFinite }) {
            throw .invalidState(
                envID: Self.spec.id, state: values,
                reason: "\(Self.spec.stateNames[index]) is \(values[index]); every state value must be finite")
        }
        state = values
    }
}

/// Checks, for the `state` setters, that `values` fits `spec`; a failure is a programming error.
@inline(never)
func checkStateForSetter(_ values: [Double], _ spec: EnvironmentSpec) {
    precondition(
        values.count == spec.stateSize && values.allSatisfy(\.isFinite),
        "\(spec.id): state needs \(spec.stateSize) finite values \(spec.stateNames), got \(values); "
            + "use setState(_:) to get an error instead of a crash")
}

/// Checks, for `step`/`reset`, that the caller's observation buffer is large enough.
@inline(__always)
func checkObservationBuffer(_ observation: UnsafeMutableBufferPointer<Float>, _ size: Int) {
    precondition(observation.count >= size, "observation buffer holds \(observation.count) floats, needs \(size)")
}
