/// What a rollout collector steps: `count` environments of one kind, auto-reset in the same step.
///
/// After `step(actions:)` (see `VectorStepState`), row `i` of `observations` is env `i`'s next state (the first observation of a new
/// episode where one ended), `finalObservations` row `i` is the last observation of an episode that ended in that
/// step (`hasFinalObservation[i]`), and `finishedEpisodes` lists those episodes. Rows of `count × size` buffers are
/// flat: row `i` is `i * size ..< (i + 1) * size`.
///
/// Two kinds conform: `VectorEnv` (the native classic-control envs, in this process) and the Gymnasium bridge's
/// vector env (envs in a Python process of their own). A collector holds a buffer array only between two steps.
public protocol VectorEnvironment: Sendable {
    var spec: EnvironmentSpec { get }
    /// Number of envs.
    var count: Int { get }
    /// The buffers and the episodes after the last step (the arrays below read from it).
    var state: VectorStepState { get }

    /// Steps every env with its action (`count × spec.actionSize` floats, env by env) and auto-resets the envs
    /// whose episode ended.
    mutating func step(actions: UnsafeBufferPointer<Float>) throws(EnvironmentError)

    /// Resets every env and clears flags and episode statistics; env `i` is seeded from `seed` and `i`.
    mutating func reset(seeding seed: UInt64) throws(EnvironmentError)

    /// Env 0's frame now, for envs that render; nil for those that do not (the default).
    func renderFrame() throws(EnvironmentError) -> RGBFrame?
}

extension VectorEnvironment {
    public var observationSize: Int { spec.observationSize }
    public var actionSize: Int { spec.actionSize }
    public var observations: [Float] { state.observations }
    public var rewards: [Float] { state.rewards }
    public var terminated: [Bool] { state.terminated }
    public var truncated: [Bool] { state.truncated }
    public var finalObservations: [Float] { state.finalObservations }
    public var hasFinalObservation: [Bool] { state.hasFinalObservation }
    public var finishedEpisodes: [FinishedEpisode] { state.finishedEpisodes }
    public var episodeReturns: [Double] { state.episodeReturns }
    public var episodeLengths: [Int] { state.episodeLengths }
    /// Env 0's frame, for envs that render (a Gymnasium env made with `render_mode="rgb_array"`); nil otherwise.
    public func renderFrame() throws(EnvironmentError) -> RGBFrame? { nil }
}

/// A frame an env rendered: `height` rows of `width` RGB pixels, top row first.
public struct RGBFrame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

extension VectorEnv: VectorEnvironment {
    public mutating func reset(seeding seed: UInt64) throws(EnvironmentError) {
        reset(seed: Optional(seed))
    }
}
