import Environments
import PPOCore
import Testing
import TestSupport

@Suite("Environments", .offThePool)
struct EnvironmentTests {
    static let ids = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]
    static let discreteIDs = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0"]
    static let continuousIDs = ["MountainCarContinuous-v0", "Pendulum-v1"]

    // MARK: Registry

    @Test("the registry makes every Gymnasium id and lists its spec")
    func registry() throws {
        #expect(EnvironmentRegistry.ids == Self.ids)
        #expect(EnvironmentRegistry.specs.map(\.id) == Self.ids)
        for spec in EnvironmentRegistry.specs {
            let env = try EnvironmentRegistry.make(id: spec.id)
            #expect(env.id == spec.id)
            #expect(env.spec == spec)
            #expect(env.state.count == spec.stateSize)
            #expect(env.observation.count == spec.observationSize)
            #expect(spec.description.contains(spec.id))
        }
    }

    @Test("an unknown id is an error that lists the known ids")
    func unknownID() {
        #expect(throws: EnvironmentError.unknownEnvironment(id: "CartPole-v0", known: Self.ids)) {
            _ = try EnvironmentRegistry.make(id: "CartPole-v0")
        }
        #expect(throws: EnvironmentError.unknownEnvironment(id: "cartpole-v1", known: Self.ids)) {
            _ = try EnvironmentRegistry.spec(id: "cartpole-v1")
        }
        let message = EnvironmentError.unknownEnvironment(id: "Foo", known: Self.ids).description
        #expect(message.contains("'Foo'"))
        for id in Self.ids { #expect(message.contains(id)) }
    }

    // MARK: Bad actions

    /// Steps `env` with `action` and checks it fails with `reason`, leaving state and step counter unchanged.
    func expectInvalid(_ id: String, _ action: [Float], _ reason: InvalidActionReason) throws {
        var env = try EnvironmentRegistry.make(id: id, seed: 3)
        let stateBefore = env.state
        let elapsedBefore = env.elapsedSteps
        #expect(throws: EnvironmentError.invalidAction(envID: id, action: action, reason: reason)) {
            _ = try env.step(action)
        }
        #expect(throws: EnvironmentError.invalidAction(envID: id, action: action, reason: reason)) {
            try env.validate(action)
        }
        #expect(env.state == stateBefore)
        #expect(env.elapsedSteps == elapsedBefore)
    }

    @Test("non-finite values and wrong dimensions are refused", arguments: ids)
    func invalidAnyAction(_ id: String) throws {
        try expectInvalid(id, [], .wrongDimension(expected: 1, got: 0))
        try expectInvalid(id, [0, 0], .wrongDimension(expected: 1, got: 2))
        try expectInvalid(id, [.infinity], .notFinite(index: 0))
        try expectInvalid(id, [-.infinity], .notFinite(index: 0))
        // NaN != NaN, so compare the reason only.
        var env = try EnvironmentRegistry.make(id: id)
        do {
            _ = try env.step([.nan])
            Issue.record("\(id): a NaN action was accepted")
        } catch {
            guard case .invalidAction(let envID, let action, let reason) = error else {
                Issue.record("\(id): unexpected error \(error)")
                return
            }
            #expect(envID == id && action.count == 1 && action[0].isNaN && reason == .notFinite(index: 0))
            #expect(error.description.contains("not finite"))
        }
    }

    @Test("discrete actions must be integral indices in range", arguments: discreteIDs)
    func invalidDiscreteAction(_ id: String) throws {
        let env = try EnvironmentRegistry.make(id: id)
        guard case .discrete(let n) = env.actionSpace else {
            Issue.record("\(id) should be discrete")
            return
        }
        try expectInvalid(id, [Float(n)], .outOfRange(count: n))
        try expectInvalid(id, [-1], .outOfRange(count: n))
        try expectInvalid(id, [1e9], .outOfRange(count: n))
        try expectInvalid(id, [0.5], .notIntegral)
        try expectInvalid(id, [-0.5], .notIntegral)
        // Every valid index is accepted.
        var stepper = try EnvironmentRegistry.make(id: id)
        for index in 0..<n { _ = try stepper.step(index) }
        let message = EnvironmentError.invalidAction(envID: id, action: [Float(n)], reason: .outOfRange(count: n))
            .description
        #expect(message.contains(id) && message.contains("0..<\(n)"))
    }

    @Test("finite out-of-bounds continuous actions are valid", arguments: continuousIDs)
    func outOfBoundsContinuousIsValid(_ id: String) throws {
        var env = try EnvironmentRegistry.make(id: id)
        _ = try env.step([5])
        _ = try env.step([-1e30])
        #expect(env.elapsedSteps == 2)
    }

    // MARK: Clipping

    @Test("Pendulum applies a torque of 5 as 2 (and -7 as -2)")
    func pendulumClipping() throws {
        for (big, clipped) in [(Float(5), Float(2)), (-7, -2)] {
            var a = Pendulum(seed: 11)
            var b = Pendulum(seed: 11)
            for _ in 0..<20 {
                let ta = try a.step([big])
                let tb = try b.step([clipped])
                #expect(ta == tb)
                #expect(a.state == b.state)
            }
            var c = Pendulum(seed: 11)
            _ = try c.step([0])
            var d = Pendulum(seed: 11)
            _ = try d.step([clipped])
            #expect(c.state != d.state)  // the torque does act
        }
    }

    @Test("MountainCarContinuous clips the force but charges the unclipped action")
    func mountainCarContinuousClipping() throws {
        // Gymnasium computes a clipped force as the Python float 1.0 (double arithmetic) and an in-range one as
        // float32, so 5 and 1 agree to float32 precision, not bit for bit.
        var a = MountainCarContinuous(seed: 5)
        var b = MountainCarContinuous(seed: 5)
        var c = MountainCarContinuous(seed: 5)
        for _ in 0..<30 {
            let ta = try a.step([5])
            let tb = try b.step([1])
            _ = try c.step([0.5])
            for i in 0..<2 {
                #expect(abs(a.state[i] - b.state[i]) <= 1e-6)
                #expect(abs(ta.observation[i] - tb.observation[i]) <= 1e-6)
            }
            #expect(ta.reward == -0.1 * 25 && tb.reward == -0.1)
            // The resynchronised copy keeps the pair from drifting apart through the float32 differences.
            try b.setState(a.state)
        }
        #expect(abs(a.state[1] - c.state[1]) > 1e-3)  // a force of 1 is not a force of 0.5
    }

    // MARK: Reset and seeding

    @Test("reset(seed:) reproduces, reset(seed: nil) continues the stream", arguments: ids)
    func resetSeeding(_ id: String) throws {
        var env = try EnvironmentRegistry.make(id: id)
        let first = env.reset(seed: 2024)
        let firstState = env.state
        let second = env.reset(seed: nil)
        #expect(first != second)
        #expect(env.reset(seed: 2024) == first)
        #expect(env.state == firstState)
        #expect(env.reset(seed: nil) == second)
        #expect(env.reset(seed: 2025) != first)
        var other = try EnvironmentRegistry.make(id: id, seed: 99)
        var same = try EnvironmentRegistry.make(id: id, seed: 99)
        #expect(other.state == same.state)
        #expect(other.reset() == same.reset())
    }

    @Test("reset states follow Gymnasium's uniform ranges")
    func resetDistributions() throws {
        var cartPole = CartPole(seed: 1)
        var acrobot = Acrobot(seed: 1)
        var car = MountainCar(seed: 1)
        var continuousCar = MountainCarContinuous(seed: 1)
        var pendulum = Pendulum(seed: 1)
        var extremes = [Double](repeating: 0, count: 4)
        for _ in 0..<2000 {
            cartPole.reset()
            for (i, v) in cartPole.state.enumerated() {
                #expect(abs(v) <= 0.05)
                extremes[i] = max(extremes[i], abs(v))
            }
            acrobot.reset()
            for v in acrobot.state {
                #expect(abs(v) <= 0.1)
                #expect(Double(Float(v)) == v)  // astype(np.float32)
            }
            car.reset()
            #expect(car.state[0] >= -0.6 && car.state[0] < -0.4 && car.state[1] == 0)
            continuousCar.reset()
            #expect(continuousCar.state[0] >= -0.6 && continuousCar.state[0] < -0.4 && continuousCar.state[1] == 0)
            pendulum.reset()
            #expect(abs(pendulum.state[0]) <= Double.pi && abs(pendulum.state[1]) <= 1)
        }
        // The whole range is used, not a corner of it.
        #expect(extremes.allSatisfy { $0 > 0.049 })
        #expect(cartPole.elapsedSteps == 0)
    }

    // MARK: Time limit and episode ends

    @Test("the time limit is truncation at maxEpisodeSteps, counted from reset", arguments: ids)
    func timeLimit(_ id: String) throws {
        var env = try EnvironmentRegistry.make(id: id, seed: 8)
        let action: [Float] = env.actionSpace.isDiscrete ? [1] : [0]
        env.reset()
        #expect(env.elapsedSteps == 0)
        env.elapsedSteps = env.maxEpisodeSteps - 2
        let before = try env.step(action)
        #expect(!before.truncated)
        let last = try env.step(action)
        #expect(last.truncated)
        #expect(env.elapsedSteps == env.maxEpisodeSteps)
        env.reset()
        #expect(env.elapsedSteps == 0)
    }

    @Test("Pendulum runs 200 steps to truncation and never terminates")
    func pendulumEpisode() throws {
        var env = Pendulum(seed: 4)
        var rng = RNG(seed: 4)
        for t in 1...200 {
            let step = try env.step([Float(rng.uniform(-2, 2))])
            #expect(!step.terminated)
            #expect(step.truncated == (t == 200))
            #expect(step.reward <= 0 && step.reward >= -(Double.pi * Double.pi + 0.1 * 64 + 0.001 * 4))
        }
    }

    @Test("CartPole terminates with reward 1, then gives 0 if stepped again (Gymnasium)")
    func cartPoleAfterTermination() throws {
        var env = CartPole(seed: 0)
        var step = try env.step(1)
        var steps = 1
        while !step.terminated && steps < 100 {
            step = try env.step(1)
            steps += 1
        }
        #expect(step.terminated && step.reward == 1.0)
        let beyond = try env.step(1)
        #expect(beyond.terminated && beyond.reward == 0.0)
        env.reset()
        #expect(try env.step(1).reward == 1.0)
    }

    @Test("Acrobot wraps its angles to [-pi, pi] and clips its velocities")
    func acrobotWrap() throws {
        var env = Acrobot()
        try env.setState([3.1, -3.1, 4 * Double.pi, -9 * Double.pi])
        _ = try env.step(2)
        let state = env.state
        #expect(abs(state[0]) <= Double.pi && abs(state[1]) <= Double.pi)
        #expect(abs(state[2]) <= 4 * Double.pi && abs(state[3]) <= 9 * Double.pi)
    }

    @Test("setState refuses a state of the wrong size or with a non-finite value")
    func invalidState() throws {
        var env = CartPole()
        let before = env.state
        #expect(throws: EnvironmentError.self) { try env.setState([0, 0, 0]) }
        #expect(throws: EnvironmentError.self) { try env.setState([0, 0, .infinity, 0]) }
        #expect(env.state == before)
        try env.setState([0.1, 0.2, 0.03, 0.4])
        #expect(env.state == [0.1, 0.2, 0.03, 0.4])
        #expect(env.observation == [0.1, 0.2, 0.03, 0.4].map { Float($0) })
        do {
            try env.setState([1, 2])
        } catch {
            #expect(error.description.contains("expected 4 values"))
        }
    }

    @Test("the buffer step and the array step agree", arguments: ids)
    func bufferStep(_ id: String) throws {
        var a = try EnvironmentRegistry.make(id: id, seed: 21)
        var b = try EnvironmentRegistry.make(id: id, seed: 21)
        var observation = [Float](repeating: .nan, count: a.spec.observationSize)
        let action: [Float] = a.actionSpace.isDiscrete ? [0] : [0.25]
        for _ in 0..<10 {
            let result = try action.withUnsafeBufferPointer { (actionBuffer) throws(EnvironmentError) in
                try observation.withUnsafeMutableBufferPointer { (buffer) throws(EnvironmentError) in
                    try a.step(action: actionBuffer, into: buffer)
                }
            }
            let transition = try b.step(action)
            #expect(observation == transition.observation)
            #expect(observation == a.observation)
            #expect(result == StepResult(reward: transition.reward, terminated: transition.terminated,
                                         truncated: transition.truncated))
        }
    }
}
