import Environments
import PPOCore
import Testing
import TestSupport

@Suite("VectorEnv", .offThePool)
struct VectorEnvTests {
    /// Standalone envs seeded as `VectorEnv` seeds its env `i`: `RNG(seed: seed).split(i)`, then reset.
    func replicas(_ id: String, count: Int, seed: UInt64) throws -> [any Environment] {
        try (0..<count).map { i in
            var env = try EnvironmentRegistry.make(id: id)
            env.rng = RNG(seed: seed).split(UInt64(i))
            env.reset(seed: nil)
            return env
        }
    }

    func row(_ buffer: [Float], _ i: Int, _ size: Int) -> [Float] { Array(buffer[i * size..<(i + 1) * size]) }

    @Test("auto-reset in the same step keeps the final observation (terminations)")
    func autoResetTermination() throws {
        let k = 4
        var vector = try VectorEnv(id: "CartPole-v1", count: k, seed: 42)
        var replicas = try replicas("CartPole-v1", count: k, seed: 42)
        let size = vector.observationSize
        for i in 0..<k { #expect(row(vector.observations, i, size) == replicas[i].observation) }

        var rng = RNG(seed: 7)
        var ended = 0
        var returns = [Double](repeating: 0, count: k)
        for _ in 0..<150 {
            // Mostly push right so episodes end quickly, at different times in different envs.
            let actions = (0..<k).map { _ in Float(rng.uniformDouble() < 0.8 ? 1 : 0) }
            try vector.step(actions)
            var expectedFinished: [FinishedEpisode] = []
            for i in 0..<k {
                let transition = try replicas[i].step(actions[i...i].map { $0 })
                returns[i] += transition.reward
                #expect(vector.rewards[i] == Float(transition.reward))
                #expect(vector.terminated[i] == transition.terminated)
                #expect(vector.truncated[i] == transition.truncated)
                let done = transition.terminated || transition.truncated
                #expect(vector.hasFinalObservation[i] == done)
                if done {
                    // The ended episode's last observation is kept, the current one is the next episode's first.
                    #expect(row(vector.finalObservations, i, size) == transition.observation)
                    let next = replicas[i].reset(seed: nil)
                    #expect(row(vector.observations, i, size) == next)
                    #expect(next != transition.observation)
                    expectedFinished.append(FinishedEpisode(
                        envIndex: i, episodeReturn: returns[i], length: Int(returns[i]),
                        truncated: transition.truncated && !transition.terminated))
                    returns[i] = 0
                    #expect(vector.episodeLengths[i] == 0 && vector.episodeReturns[i] == 0)
                    #expect(vector.env(i).elapsedSteps == 0)
                    ended += 1
                } else {
                    #expect(row(vector.observations, i, size) == transition.observation)
                    #expect(row(vector.finalObservations, i, size).allSatisfy { $0 == 0 })
                    #expect(vector.episodeReturns[i] == returns[i])
                }
            }
            #expect(vector.finishedEpisodes == expectedFinished)
        }
        #expect(ended >= 2 * k)  // several episodes per env were checked
    }

    @Test("auto-reset on truncation flags the final observation for bootstrapping")
    func autoResetTruncation() throws {
        var vector = try VectorEnv(id: "MountainCar-v0", count: 2, seed: 3)
        var replica = try replicas("MountainCar-v0", count: 1, seed: 3)[0]
        let actions: [Float] = [1, 1]  // no push: the car never reaches the flag
        for t in 1...200 {
            try vector.step(actions)
            let transition = try replica.step(1)
            #expect(vector.truncated == [t == 200, t == 200])
            #expect(vector.terminated == [false, false])
            if t < 200 {
                #expect(vector.finishedEpisodes.isEmpty)
                #expect(vector.episodeLengths == [t, t])
            } else {
                #expect(vector.hasFinalObservation == [true, true])
                #expect(row(vector.finalObservations, 0, 2) == transition.observation)
                #expect(vector.finishedEpisodes == [
                    FinishedEpisode(envIndex: 0, episodeReturn: -200, length: 200, truncated: true),
                    FinishedEpisode(envIndex: 1, episodeReturn: -200, length: 200, truncated: true),
                ])
                #expect(row(vector.observations, 0, 2) == replica.reset(seed: nil))
                #expect(vector.observations[1] == 0 && vector.observations[3] == 0)  // reset velocities
            }
        }
        try vector.step(actions)
        #expect(vector.hasFinalObservation == [false, false] && vector.finishedEpisodes.isEmpty)
        #expect(vector.episodeLengths == [1, 1])
    }

    /// Runs `steps` steps with random actions drawn from `actionSeed`; returns every observation buffer.
    func rollout(_ id: String, count: Int, seed: UInt64, steps: Int, actionSeed: UInt64 = 1) throws -> [[Float]] {
        var vector = try VectorEnv(id: id, count: count, seed: seed)
        var rng = RNG(seed: actionSeed)
        var trace = [vector.observations]
        var actions = [Float](repeating: 0, count: count * vector.actionSize)
        for _ in 0..<steps {
            for j in actions.indices {
                switch vector.spec.actionSpace {
                case .discrete(let n): actions[j] = Float(rng.integer(below: n))
                case .box(let low, let high): actions[j] = low[0] + (high[0] - low[0]) * rng.uniformFloat()
                case .multiDiscrete, .multiBinary: Issue.record("no native env has index actions of several components")
                }
            }
            try vector.step(actions)
            trace.append(vector.observations)
        }
        return trace
    }

    @Test("the same seed gives the same run; env streams differ by seed and index", arguments: EnvironmentRegistry.ids)
    func reproducibility(_ id: String) throws {
        let a = try rollout(id, count: 3, seed: 1234, steps: 250)
        let b = try rollout(id, count: 3, seed: 1234, steps: 250)
        let c = try rollout(id, count: 3, seed: 1235, steps: 250)
        #expect(a == b)
        #expect(a[0] != c[0])
        let size = try EnvironmentRegistry.spec(id: id).observationSize
        #expect(row(a[0], 0, size) != row(a[0], 1, size))
        #expect(row(a[0], 1, size) != row(a[0], 2, size))
        // Env i's stream depends on the seed and i only, not on the number of envs.
        let wide = try VectorEnv(id: id, count: 5, seed: 1234)
        #expect(Array(wide.observations[0..<3 * size]) == a[0])
    }

    @Test("reset(seed:) restarts as a new vector env; reset() continues the streams")
    func reset() throws {
        var vector = try VectorEnv(id: "Acrobot-v1", count: 3, seed: 9)
        let initial = vector.observations
        try vector.step([0, 1, 2])
        vector.reset()
        #expect(vector.observations != initial)
        #expect(vector.episodeLengths == [0, 0, 0] && vector.rewards == [0, 0, 0])
        vector.reset(seed: 9)
        #expect(vector.observations == initial)
    }

    @Test("bad actions are refused before any env steps")
    func badActions() throws {
        var vector = try VectorEnv(id: "CartPole-v1", count: 3, seed: 5)
        try vector.step([1, 0, 1])
        let observations = vector.observations
        #expect(throws: EnvironmentError.wrongActionBatchSize(envID: "CartPole-v1", expected: 3, got: 2)) {
            try vector.step([1, 0])
        }
        #expect(throws: EnvironmentError.invalidAction(
            envID: "CartPole-v1", action: [2], reason: .outOfRange(count: 2))
        ) {
            try vector.step([1, 2, 0])
        }
        #expect(throws: EnvironmentError.invalidAction(
            envID: "CartPole-v1", action: [.infinity], reason: .notFinite(index: 0))
        ) {
            try vector.step([1, 0, .infinity])
        }
        #expect(vector.observations == observations)
        #expect(vector.episodeLengths == [1, 1, 1])

        var continuous = try VectorEnv(id: "Pendulum-v1", count: 2, seed: 5)
        #expect(throws: EnvironmentError.self) { try continuous.step([0.5, .nan]) }
        try continuous.step([50, -50])  // finite out-of-range actions are clipped, not refused
        #expect(continuous.episodeLengths == [1, 1])

        #expect(throws: EnvironmentError.invalidEnvCount(0)) { _ = try VectorEnv(id: "CartPole-v1", count: 0, seed: 1) }
        #expect(throws: EnvironmentError.unknownEnvironment(id: "Nope-v0", known: EnvironmentRegistry.ids)) {
            _ = try VectorEnv(id: "Nope-v0", count: 1, seed: 1)
        }
    }
}
