import PPOCore
import Testing
import TestSupport

@Suite("The update on two threads", .offThePool)
struct ThreadedUpdateTests {
    /// A rollout of `n` random rows for a model of this size.
    static func rollout(n: Int, observationSize: Int, actionSpace: Space, seed: UInt64) -> Rollout {
        var rng = RNG(seed: seed)
        func column(_ count: Int, scale: Float = 1) -> [Float] { (0..<count).map { _ in Float(rng.normal()) * scale } }
        let actions: [Float]
        switch actionSpace {
        case .discrete(let k): actions = (0..<n).map { _ in Float(Int(rng.uniformDouble() * Double(k)) % k) }
        case .box(let low, _): actions = column(n * low.count)
        case .multiDiscrete(let nvec):
            actions = (0..<n * nvec.count).map { i in Float(rng.integer(below: nvec[i % nvec.count])) }
        case .multiBinary(let bits): actions = (0..<n * bits).map { _ in Float(rng.integer(below: 2)) }
        }
        let values = column(n)
        let advantages = column(n, scale: 2)
        return Rollout(observations: column(n * observationSize), actions: actions, logProbs: column(n, scale: 0.3).map { $0 - 1 },
                       values: values, advantages: advantages, returns: zip(values, advantages).map { $0 + $1 })
    }

    /// Runs `updates` PPO updates with `threads` threads from the same initial model; returns the model and the
    /// statistics of every update.
    static func train(threads: Int, actionSpace: Space, config: PPOConfig, updates: Int) -> (ActorCritic, PPOUpdater, [UpdateStatistics]) {
        var initRNG = RNG(seed: 11)
        let model = ActorCritic(observationSize: 17, actionSpace: actionSpace, config: config, rng: &initRNG)
        let updater = PPOUpdater(model: model, config: config, threads: threads)
        var shuffle = RNG(seed: 5)
        let stats = (0..<updates).map { u in
            updater.update(rollout(n: 700, observationSize: 17, actionSpace: actionSpace, seed: UInt64(100 + u)),
                           learningRate: 3e-4, rng: &shuffle)
        }
        return (model, updater, stats)
    }

    @Test("two threads give bit for bit the weights, Adam moments and statistics of one (discrete, continuous, MultiDiscrete and MultiBinary actions, clipped and unclipped norms, value clipping)",
          arguments: [Space.discrete(3), .box(low: [-1, -1, -1, -1, -1, -1], high: [1, 1, 1, 1, 1, 1]), .multiDiscrete([2, 3]), .multiBinary(3)], [0.5, 100.0])
    func bitIdentical(actionSpace: Space, maxGradNorm: Double) {
        var config = PPOConfig()
        config.hiddenSizes = [64, 64]
        config.updateEpochs = 3
        config.minibatchSize = 64
        config.maxGradNorm = maxGradNorm
        config.valueClipCoef = 0.2
        let (one, oneUpdater, oneStats) = Self.train(threads: 1, actionSpace: actionSpace, config: config, updates: 3)
        let (two, twoUpdater, twoStats) = Self.train(threads: 2, actionSpace: actionSpace, config: config, updates: 3)
        #expect(oneStats == twoStats)
        #expect(oneStats.allSatisfy { $0.minibatches == 33 })
        for (index, (a, b)) in zip(one.parameters, two.parameters).enumerated() {
            #expect(a.values == b.values, "parameter \(a.name) differs")
            let (m1, v1) = oneUpdater.optimizer.moments(of: index), (m2, v2) = twoUpdater.optimizer.moments(of: index)
            #expect(m1 == m2 && v1 == v2, "Adam moments of \(a.name) differ")
        }
        #expect(oneUpdater.optimizer.step == twoUpdater.optimizer.step)
        // The update did move the weights (the comparison is not between two untouched models).
        var fresh = RNG(seed: 11)
        let initial = ActorCritic(observationSize: 17, actionSpace: actionSpace, config: config, rng: &fresh)
        #expect(zip(initial.parameters, two.parameters).allSatisfy { $0.values != $1.values })
    }

    @Test("three or more threads split the minibatch: the same weights bit for bit on every run with that count, and one thread's gradients up to float rounding",
          arguments: [3, 4])
    func minibatchSplit(threads: Int) throws {
        var config = PPOConfig()
        config.hiddenSizes = [64, 64]
        config.updateEpochs = 2
        config.minibatchSize = 64
        config.maxGradNorm = 0.5
        let space = Space.box(low: [-1, -1, -1], high: [1, 1, 1])
        let (first, _, firstStats) = Self.train(threads: threads, actionSpace: space, config: config, updates: 2)
        let (second, _, secondStats) = Self.train(threads: threads, actionSpace: space, config: config, updates: 2)
        #expect(firstStats == secondStats)
        #expect(zip(first.parameters, second.parameters).allSatisfy { $0.values == $1.values }, "two runs with \(threads) threads differ")

        // One minibatch's gradients, split and whole, from the same model (61 rows: shards of unequal size).
        var initRNG = RNG(seed: 3)
        let model = ActorCritic(observationSize: 17, actionSpace: space, config: config, rng: &initRNG)
        var twinRNG = RNG(seed: 3)
        let twin = ActorCritic(observationSize: 17, actionSpace: space, config: config, rng: &twinRNG)
        let r = Self.rollout(n: 61, observationSize: 17, actionSpace: space, seed: 9)
        let batch = Minibatch(observations: r.observations, actions: r.actions, oldLogProbs: r.logProbs, advantages: r.advantages,
                              returns: r.returns, oldValues: r.values)
        let whole = PPOUpdater(model: model, config: config, threads: 1).computeGradients(batch)
        let split = PPOUpdater(model: twin, config: config, threads: threads).computeGradients(batch)
        for (name, a, b) in [("policy", whole.policyLoss, split.policyLoss), ("value", whole.valueLoss, split.valueLoss),
                             ("entropy", whole.entropy, split.entropy), ("kl", whole.approxKL, split.approxKL)] {
            #expect(abs(a - b) <= 1e-6 + 1e-5 * abs(a), "\(name): \(a) against \(b)")
        }
        var largest: Float = 0
        for (a, b) in zip(model.parameters, twin.parameters) {
            for (x, y) in zip(a.gradients, b.gradients) {
                #expect(abs(x - y) <= 1e-6 + 1e-5 * abs(x), "\(a.name): \(x) against \(y)")
                largest = max(largest, abs(x))
            }
        }
        #expect(largest > 1e-3, "the gradients compared are not all zero")
    }
}

