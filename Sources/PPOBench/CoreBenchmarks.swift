import PPOCore

/// Micro-benchmarks of the numeric core, the figures compared with the PyTorch seed
/// (its `ppo_minibatch64_step_full` and `seed_act_call`).
public enum CoreBenchmarks {
    /// One PPO minibatch step of the seed's network (actor 4-64-64-2 and critic 4-64-64-1, tanh), minibatch 64:
    /// forward of both networks, clipped-surrogate + value + entropy loss, backward, global grad-norm clip, Adam.
    public static func updateStep(repetitions: Int = 30, callsPerRepetition: Int = 200) -> BenchResult {
        Kernels.configureBLAS()
        var rng = RNG(seed: 0)
        let config = PPOConfig.seed
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: config, rng: &rng)
        let updater = PPOUpdater(model: model, config: config)
        let n = 64
        let observations = (0..<(n * 4)).map { _ in Float(rng.normal()) }
        let actions = (0..<n).map { _ in Float(rng.integer(below: 2)) }
        // Old log-probs from the initial policy, so the ratios are realistic (near 1).
        var oldLogProbs = [Float](repeating: 0, count: n)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let obs = Array(observations[(i * 4)..<(i * 4 + 4)])
            let s = model.act(obs, rng: &rng)
            oldLogProbs[i] = s.logProb + Float(rng.uniform(-0.1, 0.1))
            values[i] = s.value
        }
        let batch = Minibatch(
            observations: observations, actions: actions, oldLogProbs: oldLogProbs,
            advantages: (0..<n).map { _ in Float(rng.normal()) },
            returns: (0..<n).map { _ in Float(rng.normal()) }, oldValues: values)
        let samples = measure(repetitions: repetitions, inner: callsPerRepetition, warmup: 100) {
            _ = updater.minibatchStep(batch)
        }
        return BenchResult(
            name: "update-step",
            description: "one PPO minibatch-64 step, actor 4-64-64-2 + critic 4-64-64-1: forward, loss, backward, clip, Adam",
            samples: samples, callsPerRepetition: callsPerRepetition)
    }

    /// One environment state → sampled action, its log-probability and V(s) (the seed's `PPOAgent.act`).
    public static func act(repetitions: Int = 30, callsPerRepetition: Int = 20_000) -> BenchResult {
        Kernels.configureBLAS()
        var rng = RNG(seed: 0)
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: .seed, rng: &rng)
        let observation: [Float] = (0..<4).map { _ in Float(rng.normal()) }
        var action: Float = 0
        var logProb: Float = 0
        var value: Float = 0
        let samples = observation.withUnsafeBufferPointer { obs in
            measure(repetitions: repetitions, inner: callsPerRepetition, warmup: 1000) {
                guard let base = obs.baseAddress else { return }
                model.act(
                    observations: base, count: 1, deterministic: false, rng: &rng,
                    actions: &action, logProbs: &logProb, values: &value)
            }
        }
        return BenchResult(
            name: "act",
            description: "one state → sampled action, log-prob and value (actor 4-64-64-2 + critic 4-64-64-1)",
            samples: samples, callsPerRepetition: callsPerRepetition)
    }
}

/// The learner's update of one rollout on 1 or 2 threads (`ppo bench update`).
public enum UpdateBenchmarks {
    /// The networks measured: CartPole's 4-64-64 (2 actions), HalfCheetah's 17-64-64 and 17-256-256 (6-D Gaussian),
    /// Humanoid's 348-256-256 (17-D Gaussian).
    public static let shapes: [(name: String, observationSize: Int, hidden: [Int], actionSpace: Space)] = [
        ("4-64-64", 4, [64, 64], .discrete(2)),
        ("17-64-64", 17, [64, 64], .box(low: [Float](repeating: -1, count: 6), high: [Float](repeating: 1, count: 6))),
        ("17-128-128", 17, [128, 128], .box(low: [Float](repeating: -1, count: 6), high: [Float](repeating: 1, count: 6))),
        ("17-256-256", 17, [256, 256], .box(low: [Float](repeating: -1, count: 6), high: [Float](repeating: 1, count: 6))),
        ("348-256-256", 348, [256, 256], .box(low: [Float](repeating: -0.4, count: 17), high: [Float](repeating: 0.4, count: 17))),
    ]

    /// One update of a 2048-row rollout, 10 epochs of minibatches of `minibatch` rows (2048/minibatch × 10 minibatch
    /// steps), on `threads` threads.
    public static func rollout(shape: Int, threads: Int, minibatch: Int = 64, repetitions: Int = 10) -> BenchResult {
        Kernels.configureBLAS()
        let s = shapes[shape]
        var config = PPOConfig()
        config.hiddenSizes = s.hidden
        config.rolloutSteps = 2048
        config.updateEpochs = 10
        config.minibatchSize = minibatch
        var rng = RNG(seed: 0)
        let model = ActorCritic(observationSize: s.observationSize, actionSpace: s.actionSpace, config: config, rng: &rng)
        let updater = PPOUpdater(model: model, config: config, threads: threads)
        let n = 2048
        let observations = (0..<(n * s.observationSize)).map { _ in Float(rng.normal()) }
        var actions = [Float](repeating: 0, count: n * model.actionSize)
        var logProbs = [Float](repeating: 0, count: n)
        var values = [Float](repeating: 0, count: n)
        observations.withUnsafeBufferPointer { obs in
            guard let base = obs.baseAddress else { return }
            model.act(observations: base, count: n, deterministic: false, rng: &rng, actions: &actions, logProbs: &logProbs, values: &values)
        }
        let advantages = (0..<n).map { _ in Float(rng.normal()) }
        let rollout = Rollout(observations: observations, actions: actions, logProbs: logProbs, values: values,
                              advantages: advantages, returns: zip(values, advantages).map { $0 + $1 })
        var shuffle = RNG(seed: 1)
        let samples = measure(repetitions: repetitions, inner: 1, warmup: 2) {
            _ = updater.update(rollout, learningRate: 1e-5, rng: &shuffle)
        }
        return BenchResult(
            name: "update \(s.name) ×\(threads)",
            description: "one update of 2048 transitions, 10 epochs of minibatch \(minibatch), \(s.name) actor + critic, \(threads) thread\(threads == 1 ? "" : "s")",
            samples: samples, callsPerRepetition: 1)
    }
}
