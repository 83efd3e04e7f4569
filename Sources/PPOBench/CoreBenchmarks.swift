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
