/// What a vector of envs holds after each step, shared by the native `VectorEnv` and the bridge's `GymVectorEnv`:
/// the flat buffers (row `i` of a `count × observationSize` buffer is `i * observationSize ..< (i + 1) *
/// observationSize`), each env's running episode, and the episodes that ended in the last step.
///
/// The order of a step: ``record(env:reward:terminated:truncated:)`` for every env, then the observations (and,
/// for the envs that ended, their final observations) are written, then ``closeEpisode(env:)`` for every env.
public struct VectorStepState: Sendable {
    public let count: Int
    public let observationSize: Int
    /// Current observation of every env: after an auto-reset, the new episode's first.
    public var observations: [Float]
    /// Reward of the last step of every env (Float; episode returns are accumulated in Double).
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    /// Last observation of the episode that ended in the last step; row `i` is meaningful where
    /// `hasFinalObservation[i]`, zero elsewhere.
    public var finalObservations: [Float]
    /// Whether env `i` ended an episode in the last step (`terminated[i] || truncated[i]`).
    public private(set) var hasFinalObservation: [Bool]
    /// Return and length of each env's running episode.
    public private(set) var episodeReturns: [Double]
    public private(set) var episodeLengths: [Int]
    /// Episodes that ended in the last step, in env order.
    public private(set) var finishedEpisodes: [FinishedEpisode] = []

    public init(count: Int, observationSize: Int) {
        self.count = count
        self.observationSize = observationSize
        observations = Array(repeating: 0, count: count * observationSize)
        finalObservations = Array(repeating: 0, count: count * observationSize)
        rewards = Array(repeating: 0, count: count)
        terminated = Array(repeating: false, count: count)
        truncated = Array(repeating: false, count: count)
        hasFinalObservation = Array(repeating: false, count: count)
        episodeReturns = Array(repeating: 0, count: count)
        episodeLengths = Array(repeating: 0, count: count)
        finishedEpisodes.reserveCapacity(count)
    }

    /// After a reset: no reward, no flag, no final observation, every episode at its start (the observations are
    /// the reset's).
    public mutating func clearForReset() {
        for i in 0..<count {
            rewards[i] = 0
            terminated[i] = false
            truncated[i] = false
            hasFinalObservation[i] = false
            episodeReturns[i] = 0
            episodeLengths[i] = 0
        }
        for j in 0..<finalObservations.count { finalObservations[j] = 0 }
        finishedEpisodes.removeAll(keepingCapacity: true)
    }

    /// A step begins: the last step's finished episodes are forgotten.
    public mutating func beginStep() { finishedEpisodes.removeAll(keepingCapacity: true) }

    /// Env `i`'s step: its reward and flags; its episode's return and length go on.
    public mutating func record(env i: Int, reward: Double, terminated: Bool, truncated: Bool) {
        rewards[i] = Float(reward)
        self.terminated[i] = terminated
        self.truncated[i] = truncated
        hasFinalObservation[i] = terminated || truncated
        episodeReturns[i] += reward
        episodeLengths[i] += 1
    }

    /// Ends env `i`'s episode if its step ended it (it joins `finishedEpisodes`, and the next one starts from zero);
    /// otherwise clears its final-observation row. Whether it ended.
    @discardableResult
    public mutating func closeEpisode(env i: Int) -> Bool {
        guard hasFinalObservation[i] else {
            for j in i * observationSize..<(i + 1) * observationSize { finalObservations[j] = 0 }
            return false
        }
        finishedEpisodes.append(FinishedEpisode(
            envIndex: i, episodeReturn: episodeReturns[i], length: episodeLengths[i],
            truncated: FinishedEpisode.isTimeLimitCut(terminated: terminated[i], truncated: truncated[i])))
        episodeReturns[i] = 0
        episodeLengths[i] = 0
        return true
    }
}

extension FinishedEpisode {
    /// The truncation rule: a step was cut by the time limit only if it was truncated and did not terminate.
    /// Gymnasium's TimeLimit also sets `truncated` on a terminal step at the limit; a terminal state has no future
    /// to bootstrap, so truncation means "cut by the limit only" wherever it is used.
    public static func isTimeLimitCut(terminated: Bool, truncated: Bool) -> Bool { truncated && !terminated }
}
