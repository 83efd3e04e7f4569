import PPOCore

/// The update of an image policy: CleanRL's Atari agent (the Nature CNN over 4 stacked 84×84 frames, fc 512,
/// Discrete(6)) and its PPO minibatch of 256 (8 envs × 128 steps in 4 minibatches).
public enum ConvBenchmarks {
    /// One `ConvolutionalActorCritic.minibatchStep` of `minibatch` rows: forward, loss, backward, clip, Adam, with
    /// OpenBLAS on `threads` threads. `extra`: `frames_per_second`, what the learner sustains at CleanRL's 4 epochs
    /// (rows trained per second / 4); `gflops`, the step's matrix products (`NetworkSpec.flops`) per second; and
    /// `sgemm_gflops`, OpenBLAS's own rate on the same threads for a product the size of the second convolution's.
    public static func updateStep(minibatch: Int = 256, threads: Int = 1, repetitions: Int = 5, callsPerRepetition: Int = 2) -> BenchResult {
        var result = step(minibatch: minibatch, threads: threads, repetitions: repetitions, callsPerRepetition: callsPerRepetition)
        result.extra["sgemm_gflops"] = Kernels.withBLASThreads(threads) { sgemmRate(m: 64, n: minibatch * 81, k: 32 * 16) }
        return result
    }

    private static func step(minibatch: Int, threads: Int, repetitions: Int, callsPerRepetition: Int) -> BenchResult {
        var rng = RNG(seed: 0)
        let image = ImageLayout(offset: 0, height: 84, width: 84, channels: 4, channelsFirst: true, scale: 1 / 255)
        let spec = NetworkSpec(observationSize: image.size, body: .convolutional(image: image, convolutions: NetworkSpec.natureConvolutions, hidden: 512),
                               head: .categorical(segments: [6]))
        var config = PPOConfig.default
        (config.learningRate, config.clipCoef, config.valueClipCoef, config.valueCoef, config.entropyCoef) = (2.5e-4, 0.1, 0.1, 0.5, 0.01)
        let model = ConvolutionalActorCritic(spec: spec, initialLogStd: 0, rng: &rng)
        let updater = SharedTrunkUpdater(model: model, config: config, threads: threads)
        let observations = (0..<(minibatch * image.size)).map { _ in Float(rng.integer(below: 256)) }
        let actions = (0..<minibatch).map { _ in Float(rng.integer(below: 6)) }
        let column = { (low: Double, high: Double) in (0..<minibatch).map { _ in Float(rng.uniform(low, high)) } }
        let (oldLogProbs, advantages, returns, oldValues) = (column(-1.9, -1.7), column(-1, 1), column(-1, 1), column(-1, 1))
        let batch = Minibatch(observations: observations, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                              returns: returns, oldValues: oldValues)
        let samples = measure(repetitions: repetitions, inner: callsPerRepetition, warmup: 1) {
            _ = updater.minibatchStep(batch)
        }
        let median = samples.sorted()[samples.count / 2]
        let flops = spec.flops
        return BenchResult(
            name: "conv-update \(threads) thread\(threads == 1 ? "" : "s")",
            description: "one PPO minibatch-\(minibatch) step of the Nature CNN (4×84×84 → 32@8/4, 64@4/2, 64@3/1 → fc 512 → 6 + 1): forward, loss, backward, clip, Adam",
            samples: samples, callsPerRepetition: callsPerRepetition,
            extra: ["frames_per_second": Double(minibatch) / (median * 1e-6) / 4,
                    "gflops": Double(minibatch) * (flops.forward + flops.backward) / (median * 1e-6) / 1e9])
    }

    /// OpenBLAS's sgemm rate (GFLOP/s) for C (m×n) = A (m×k) · B (k×n) on its current threads: the median of 5.
    static func sgemmRate(m: Int, n: Int, k: Int) -> Double {
        var rng = RNG(seed: 1)
        let a = (0..<(m * k)).map { _ in Float(rng.uniform(-1, 1)) }, b = (0..<(k * n)).map { _ in Float(rng.uniform(-1, 1)) }
        var c = [Float](repeating: 0, count: m * n)
        let samples = measure(repetitions: 5, inner: 3, warmup: 1) {
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    c.withUnsafeMutableBufferPointer { Kernels.sgemm(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!, c: $0.baseAddress!) }
                }
            }
        }
        return 2 * Double(m * n * k) / (samples.sorted()[samples.count / 2] * 1e-6) / 1e9
    }
}
