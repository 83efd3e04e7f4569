import PPOCore

/// One episode that ended in the last `VectorEnv.step`.
public struct FinishedEpisode: Sendable, Equatable {
    /// Which env of the vector it ran in.
    public var envIndex: Int
    /// Sum of its rewards.
    public var episodeReturn: Double
    /// Number of steps it took.
    public var length: Int
    /// Whether it ended by the time limit only (truncated and not terminated).
    public var truncated: Bool

    public init(envIndex: Int, episodeReturn: Double, length: Int, truncated: Bool) {
        self.envIndex = envIndex
        self.episodeReturn = episodeReturn
        self.length = length
        self.truncated = truncated
    }
}

/// `count` environments of one id stepped together, with auto-reset in the same step (as SB3's and CleanRL's
/// vector envs): when env `i` ends, `observations` row `i` holds the first observation of its next episode, the
/// last observation of the ended episode is in `finalObservations` row `i`, and `hasFinalObservation[i]` is
/// true. The worker evaluates V(final observation) there to bootstrap a truncated episode.
///
/// All buffers are flat, preallocated arrays (row `i` of a `count × size` buffer is `i * size ..< (i + 1) * size`).
/// `step(actions:)` does not allocate, provided no copy of a buffer array is held across the call (reading a
/// buffer between steps is fine; keeping the array alive makes the next step copy it).
///
/// Env `i` draws its reset states from `RNG(seed: seed).split(i)`: the same seed gives the same episodes whatever
/// the number of envs.
public struct VectorEnv: Sendable {
    public let spec: EnvironmentSpec
    /// Number of envs.
    public let count: Int
    public let observationSize: Int
    public let actionSize: Int

    private var envs: [any Environment]
    /// The buffers and the episodes (see `VectorStepState`).
    public private(set) var state: VectorStepState

    /// `count` envs of `id`, seeded from `seed` and reset.
    public init(id: String, count: Int, seed: UInt64) throws(EnvironmentError) {
        guard count > 0 else { throw .invalidEnvCount(count) }
        let prototype = try EnvironmentRegistry.make(id: id)
        spec = prototype.spec
        self.count = count
        observationSize = spec.observationSize
        actionSize = spec.actionSize
        envs = Array(repeating: prototype, count: count)
        state = VectorStepState(count: count, observationSize: spec.observationSize)
        reset(seed: seed)
    }

    /// Gymnasium id of the envs.
    public var id: String { spec.id }

    /// The state of env `index` (for tests and checkpoints).
    public func env(_ index: Int) -> any Environment { envs[index] }

    /// Resets every env and clears rewards, flags, final observations and episode statistics. With a seed, env
    /// `i`'s generator becomes `RNG(seed: seed).split(i)`; without, each env continues its stream.
    public mutating func reset(seed: UInt64? = nil) {
        let base = seed.map { RNG(seed: $0) }
        var envs = self.envs
        self.envs = []
        let observationSize = self.observationSize
        state.observations.withUnsafeMutableBufferPointer { observations in
            for i in 0..<envs.count {
                if let base { envs[i].rng = base.split(UInt64(i)) }
                envs[i].reset(
                    seed: nil,
                    into: UnsafeMutableBufferPointer(
                        rebasing: observations[i * observationSize..<(i + 1) * observationSize]))
            }
        }
        self.envs = envs
        state.clearForReset()
    }

    /// Steps every env with its action (`actions` holds `count × actionSize` floats, env by env) and auto-resets
    /// the envs whose episode ended. All actions are checked before any env steps: on an error nothing changed.
    public mutating func step(actions: UnsafeBufferPointer<Float>) throws(EnvironmentError) {
        let actionSize = self.actionSize
        let observationSize = self.observationSize
        guard actions.count == count * actionSize else {
            throw .wrongActionBatchSize(envID: spec.id, expected: count * actionSize, got: actions.count)
        }
        for i in 0..<count {
            try envs[i].validate(
                action: UnsafeBufferPointer(rebasing: actions[i * actionSize..<(i + 1) * actionSize]))
        }
        state.beginStep()

        // Move the buffers out of `self` so the closures below borrow locals, not `self` (no copy: each stays
        // uniquely referenced); they go back before the episodes are closed, also when an env throws.
        var envs = self.envs
        self.envs = []
        var observations = state.observations
        state.observations = []
        var finalObservations = state.finalObservations
        state.finalObservations = []
        var failure: EnvironmentError?
        do {
            try observations.withUnsafeMutableBufferPointer { (observations) throws(EnvironmentError) in
                try finalObservations.withUnsafeMutableBufferPointer { (finalObservations) throws(EnvironmentError) in
                    for i in 0..<count {
                        let row = i * observationSize..<(i + 1) * observationSize
                        let observation = UnsafeMutableBufferPointer(rebasing: observations[row])
                        let result = try envs[i].step(
                            action: UnsafeBufferPointer(rebasing: actions[i * actionSize..<(i + 1) * actionSize]),
                            into: observation)
                        state.record(env: i, reward: result.reward, terminated: result.terminated, truncated: result.truncated)
                        if result.terminated || result.truncated {
                            for j in row { finalObservations[j] = observations[j] }
                            envs[i].reset(seed: nil, into: observation)
                        }
                    }
                }
            }
        } catch {
            failure = error
        }
        self.envs = envs
        state.observations = observations
        state.finalObservations = finalObservations
        if let failure { throw failure }
        for i in 0..<count { state.closeEpisode(env: i) }
    }

    /// Steps with actions given as an array (convenience; the buffer form is the hot path).
    public mutating func step(_ actions: [Float]) throws(EnvironmentError) {
        try actions.withUnsafeBufferPointer { (buffer) throws(EnvironmentError) in try step(actions: buffer) }
    }
}
