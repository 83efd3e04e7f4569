import Foundation
import Testing
@testable import PPOCore
import TestSupport

@Suite("RNG", .offThePool)
struct RNGTests {
    @Test("same seed, same stream; different seeds or streams differ")
    func reproducible() {
        var a = RNG(seed: 42), b = RNG(seed: 42), c = RNG(seed: 43), d = RNG(seed: 42, stream: 1)
        let xa = (0..<100).map { _ in a.next() }
        #expect(xa == (0..<100).map { _ in b.next() })
        #expect(xa != (0..<100).map { _ in c.next() })
        #expect(xa != (0..<100).map { _ in d.next() })
    }

    @Test("split depends only on the seed and stream id, not on draws made")
    func splitIndependentOfDraws() {
        let parent = RNG(seed: 7)
        var drained = parent
        for _ in 0..<1000 { _ = drained.next() }
        var s1 = parent.split(3), s2 = drained.split(3), s3 = parent.split(4)
        let x1 = (0..<50).map { _ in s1.next() }
        #expect(x1 == (0..<50).map { _ in s2.next() })
        #expect(x1 != (0..<50).map { _ in s3.next() })
    }

    @Test("state round trip restores the stream")
    func stateRoundTrip() throws {
        var a = RNG(seed: 5)
        for _ in 0..<17 { _ = a.next() }
        var b = try #require(RNG(state: a.state))
        #expect((0..<20).map { _ in a.next() } == (0..<20).map { _ in b.next() })
        #expect(RNG(state: [1, 0, 0, 0, 0]) == nil)
        #expect(RNG(state: [1, 2]) == nil)
    }

    @Test("uniform, integer and normal have the right moments")
    func distributions() {
        var rng = RNG(seed: 1)
        let n = 50_000
        var sum = 0.0, sumSq = 0.0, uSum = 0.0
        var counts = [Int](repeating: 0, count: 5)
        for _ in 0..<n {
            let z = rng.normal()
            sum += z
            sumSq += z * z
            let u = rng.uniformFloat()
            #expect(u >= 0 && u < 1)
            uSum += Double(u)
            counts[rng.integer(below: 5)] += 1
        }
        #expect(abs(sum / Double(n)) < 0.02)
        #expect(abs(sumSq / Double(n) - 1) < 0.03)
        #expect(abs(uSum / Double(n) - 0.5) < 0.01)
        #expect(counts.allSatisfy { abs(Double($0) / Double(n) - 0.2) < 0.01 })
    }

    @Test("permutation is a permutation and reproducible")
    func permutation() {
        var a = RNG(seed: 3), b = RNG(seed: 3)
        var p = [Int](), q = [Int]()
        a.permutation(100, into: &p)
        b.permutation(100, into: &q)
        #expect(p == q)
        #expect(p.sorted() == Array(0..<100))
        #expect(p != Array(0..<100))
    }
}

@Suite("Kernels", .offThePool)
struct KernelTests {
    @Test("vectorised tanh is within 1e-6 of tanh on [-12, 12]")
    func tanhAccuracy() {
        var worst = 0.0
        var x: Float = -12
        while x <= 12 {
            worst = max(worst, abs(Double(Kernels.fastTanh(x)) - Foundation.tanh(Double(x))))
            x += 1e-4
        }
        #expect(worst < 1e-6, "max |fastTanh − tanh| = \(worst)")
        #expect(Kernels.fastTanh(0) == 0)
        #expect(Kernels.fastTanh(100) <= 1 && Kernels.fastTanh(-100) >= -1)
    }

    @Test("linear forward (sgemm and sgemv paths) equals the naive product")
    func linearForward() {
        var rng = RNG(seed: 2)
        let layer = Linear(inFeatures: 5, outFeatures: 3, name: "l")
        for i in 0..<15 { layer.weight.value[i] = Float(rng.uniform(-1, 1)) }
        for i in 0..<3 { layer.bias.value[i] = Float(rng.uniform(-1, 1)) }
        for batch in [1, 4] {
            let x = (0..<(batch * 5)).map { _ in Float(rng.uniform(-1, 1)) }
            var y = [Float](repeating: 0, count: batch * 3)
            layer.forward(x, into: &y, batch: batch)
            for b in 0..<batch {
                for o in 0..<3 {
                    var e = Double(layer.bias.value[o])
                    for i in 0..<5 { e += Double(x[b * 5 + i]) * Double(layer.weight.value[o * 5 + i]) }
                    #expect(abs(Double(y[b * 3 + o]) - e) < 1e-5)
                }
            }
        }
    }

    @Test("grad-norm clipping scales only when the norm exceeds the limit")
    func clipping() {
        let p = Parameter(name: "p", shape: [2])
        p.gradients = [3, 4]
        #expect(clipGradNorm([p], maxNorm: 10) == 5)
        #expect(p.gradients == [3, 4])
        #expect(clipGradNorm([p], maxNorm: 1) == 5)
        let coef = Float(1) / (5 + 1e-6)
        #expect(p.gradients == [3 * coef, 4 * coef])
    }
}

@Suite("Initialisation", .offThePool)
struct InitializationTests {
    @Test("orthogonal matrices have orthonormal rows or columns", arguments: [(64, 4), (4, 64), (64, 64), (2, 64)])
    func orthogonal(rows: Int, columns: Int) {
        var rng = RNG(seed: 9)
        let q = Initialization.orthogonalMatrix(rows: rows, columns: columns, rng: &rng)
        let k = min(rows, columns)
        // Gram matrix of the shorter side must be the identity.
        for a in 0..<k {
            for b in 0..<k {
                var dot = 0.0
                if rows >= columns {
                    for r in 0..<rows { dot += q[r * columns + a] * q[r * columns + b] }
                } else {
                    for c in 0..<columns { dot += q[a * columns + c] * q[b * columns + c] }
                }
                #expect(abs(dot - (a == b ? 1 : 0)) < 1e-9)
            }
        }
    }

    @Test("orthogonal init: gains √2 / 0.01 / 1 and zero biases; PyTorch default: U(±1/√fan_in)")
    func gains() {
        var rng = RNG(seed: 10)
        var config = PPOConfig.default
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: config, rng: &rng)
        func frobenius(_ p: Parameter) -> Double { p.values.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }
        // A (out, in) orthogonal matrix scaled by g has Frobenius norm g·√min(out, in).
        #expect(abs(frobenius(model.actor.layers[0].weight) - 2.0.squareRoot() * 2) < 1e-5)
        #expect(abs(frobenius(model.actor.layers[1].weight) - 2.0.squareRoot() * 8) < 1e-4)
        #expect(abs(frobenius(model.actor.layers[2].weight) - 0.01 * 2.0.squareRoot()) < 1e-6)
        #expect(abs(frobenius(model.critic.layers[2].weight) - 1) < 1e-5)
        #expect(model.parameters.filter { $0.name.hasSuffix("bias") }.allSatisfy { $0.values.allSatisfy { $0 == 0 } })

        config.initialization = .pytorchDefault
        let seedModel = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: config, rng: &rng)
        for layer in seedModel.actor.layers + seedModel.critic.layers {
            let bound = Float(1 / Double(layer.inFeatures).squareRoot())
            #expect((layer.weight.values + layer.bias.values).allSatisfy { abs($0) <= bound })
            #expect(layer.weight.values.contains { abs($0) > bound / 2 })
        }
    }
}

@Suite("Statistics and normalisation", .offThePool)
struct StatisticsTests {
    @Test("standardize uses the unbiased std plus 1e-8, as the seed")
    func standardize() {
        var x: [Float] = [1, 2, 3, 4]
        x.withUnsafeMutableBufferPointer { Statistics.standardize($0.baseAddress!, count: 4) }
        let std = (5.0 / 3.0).squareRoot()
        let expected = [1.0, 2, 3, 4].map { ($0 - 2.5) / (std + 1e-8) }
        for i in 0..<4 { #expect(abs(Double(x[i]) - expected[i]) < 1e-6) }
        var one: [Float] = [3]
        one.withUnsafeMutableBufferPointer { Statistics.standardize($0.baseAddress!, count: 1) }
        #expect(one[0] == 0)
    }

    @Test("explained variance")
    func explainedVariance() {
        let y: [Float] = [1, 2, 3, 4]
        #expect(Statistics.explainedVariance(predicted: y, target: y, count: 4) == 1)
        let p: [Float] = [2.5, 2.5, 2.5, 2.5]
        #expect(abs(Statistics.explainedVariance(predicted: p, target: y, count: 4)) < 1e-12)
        #expect(Statistics.explainedVariance(predicted: y, target: p, count: 4).isNaN)
    }

    @Test("running mean/std equals the batch statistics (Gymnasium's update)")
    func runningMeanStd() {
        var rng = RNG(seed: 4)
        var rms = RunningMeanStd(dimension: 2)
        var all: [Float] = []
        for _ in 0..<10 {
            let rows = 1 + rng.integer(below: 20)
            let batch = (0..<(rows * 2)).map { i in Float(i % 2 == 0 ? rng.uniform(0, 10) : rng.normal() * 3 - 1) }
            all += batch
            batch.withUnsafeBufferPointer { rms.update($0.baseAddress!, rows: rows) }
        }
        let n = all.count / 2
        for j in 0..<2 {
            let column = stride(from: j, to: all.count, by: 2).map { Double(all[$0]) }
            let mean = column.reduce(0, +) / Double(n)
            let variance = column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
            // The 1e-4 prior count shifts the statistics by O(1e-4 / n).
            #expect(abs(rms.mean[j] - mean) < 1e-4 * max(1, abs(mean)))
            #expect(abs(rms.variance[j] - variance) < 1e-3 * max(1, variance))
        }
        var x: [Float] = [Float(rms.mean[0]), 1e6]
        x.withUnsafeMutableBufferPointer { rms.normalize($0.baseAddress!, rows: 1, clip: 10) }
        #expect(abs(x[0]) < 1e-6 && x[1] == 10)
        #expect(RunningMeanStd(mean: [0], variance: [-1], count: 1) == nil)
    }

    @Test("observation preprocessing: standardised with the version's statistics and clipped to ±clip; raw without statistics")
    func observationPreprocessing() throws {
        let stats = try #require(RunningMeanStd(mean: [1, -2], variance: [4, 0.25], count: 10))
        var rows: [Float] = [3, -2, 1, 40, -100, -2.5]  // three observations of two values
        rows.withUnsafeMutableBufferPointer { ObservationPreprocessing(normalizer: stats, clip: 5).apply($0.baseAddress!, rows: 3) }
        let expected: [Float] = [1, 0, 0, 5, -5, -1]  // (x − mean)/√var, clipped to ±5
        #expect(zip(rows, expected).allSatisfy { abs($0 - $1) < 1e-5 }, "\(rows)")
        var raw: [Float] = [3, -200]
        raw.withUnsafeMutableBufferPointer { ObservationPreprocessing.none.apply($0.baseAddress!, rows: 1) }
        #expect(raw == [3, -200], "no statistics: no clip either")
    }

    @Test("reward scaling divides by the std of the discounted return")
    func rewardScaler() {
        var scaler = RewardScaler(environments: 1, gamma: 0.99)
        var reward: [Float] = [1]
        let done = [false]
        for _ in 0..<200 {
            reward[0] = 1
            reward.withUnsafeMutableBufferPointer { r in done.withUnsafeBufferPointer { scaler.scale(r.baseAddress!, done: $0.baseAddress!, clip: 10) } }
        }
        let expected = 1 / (scaler.variance + 1e-8).squareRoot()
        #expect(abs(Double(reward[0]) - expected) < 1e-6)
        #expect(reward[0] < 1)
    }
}

@Suite("Config", .offThePool)
struct ConfigTests {
    @Test("the seed preset is the seed's PPOConfig")
    func seedPreset() {
        let s = PPOConfig.seed
        #expect(s.gamma == 0.99 && s.gaeLambda == 0.95 && s.clipCoef == 0.2)
        #expect(s.valueCoef == 0.5 && s.entropyCoef == 0.01 && s.learningRate == 3e-4)
        #expect(s.updateEpochs == 10 && s.minibatchSize == 64 && s.maxGradNorm == 0.5 && s.rolloutSteps == 2048)
        #expect(s.adamEps == 1e-8 && s.initialization == .pytorchDefault && s.advantageNormalization == .rollout)
        #expect(s.truncation == .seed && s.valueClipCoef == nil && s.hiddenSizes == [64, 64] && s.activation == .tanh)
        #expect(s.problems().isEmpty && PPOConfig.default.problems().isEmpty)
        let d = PPOConfig.default
        #expect(d.adamEps == 1e-5 && d.initialization == .orthogonal && d.advantageNormalization == .minibatch && d.truncation == .bootstrap)
    }

    @Test("bad values are reported")
    func problems() {
        var c = PPOConfig.default
        c.minibatchSize = 0
        c.gamma = 1.5
        c.hiddenSizes = []
        #expect(c.problems().count == 3)
    }

    @Test("config round-trips through JSON")
    func codable() throws {
        var c = PPOConfig.seed
        c.valueClipCoef = 0.3
        let back = try JSONDecoder().decode(PPOConfig.self, from: JSONEncoder().encode(c))
        #expect(back == c)
    }

    @Test("linear learning-rate annealing")
    func schedule() {
        #expect(LearningRateSchedule.constant.rate(base: 1, update: 5, totalUpdates: 10) == 1)
        #expect(LearningRateSchedule.linear.rate(base: 1, update: 1, totalUpdates: 10) == 1)
        #expect(abs(LearningRateSchedule.linear.rate(base: 1, update: 10, totalUpdates: 10) - 0.1) < 1e-12)
    }
}

@Suite("Policy", .offThePool)
struct PolicyTests {
    @Test("sampled discrete actions follow softmax(logits); log-probs match evaluation")
    func categoricalSampling() {
        var rng = RNG(seed: 21)
        let logits: [Float] = [0.5, -1, 1.5]
        var counts = [0, 0, 0]
        let total = logits.map { exp(Double($0)) }.reduce(0, +)
        for _ in 0..<30_000 {
            let (a, lp) = Categorical.sample(logits: logits, n: 3, rng: &rng)
            counts[a] += 1
            #expect(abs(Double(lp) - (Double(logits[a]) - log(total))) < 1e-5)
        }
        for j in 0..<3 {
            #expect(abs(Double(counts[j]) / 30_000 - exp(Double(logits[j])) / total) < 0.01)
        }
        #expect(Categorical.mode(logits: logits, n: 3).action == 2)
    }

    @Test("a segmented categorical acts per segment: the mode is each segment's argmax, log-probs add up, one segment is Discrete's draw")
    func segmentedCategorical() {
        let logits: [Float] = [0.5, -1, 1.5, 2, -2]  // segments 3 and 2
        var rng = RNG(seed: 23)
        var action: [Float] = [0, 0]
        let modeLogProb = Categorical.act(logits: logits, segments: [3, 2], deterministic: true, rng: &rng, into: &action)
        #expect(action == [2, 0])
        let expected = Categorical.mode(logits: logits, n: 3).logProb + Categorical.mode(logits: Array(logits[3...]), n: 2).logProb
        #expect(modeLogProb == expected)
        // Sampling draws the segments in order from one stream; one segment's draw is `sample`'s, bit for bit.
        var a = RNG(seed: 24), b = RNG(seed: 24)
        var single: [Float] = [0]
        for _ in 0..<100 {
            let lp = Categorical.act(logits: logits, segments: [3], deterministic: false, rng: &a, into: &single)
            let (index, reference) = Categorical.sample(logits: logits, n: 3, rng: &b)
            #expect(single == [Float(index)] && lp.bitPattern == reference.bitPattern)
        }
        var c = RNG(seed: 25), d = RNG(seed: 25)
        let lp = Categorical.act(logits: logits, segments: [3, 2], deterministic: false, rng: &c, into: &action)
        let first = Categorical.sample(logits: logits, n: 3, rng: &d)
        let second = Categorical.sample(logits: Array(logits[3...]), n: 2, rng: &d)
        #expect(action == [Float(first.action), Float(second.action)] && lp == first.logProb + second.logProb)
    }

    @Test("Bernoulli bits: log-prob and entropy in closed form, samples at σ(logit), the mode where σ > ½, through the policy head")
    func bernoulliAct() {
        let logits: [Float] = [0, 2, -1]
        var logProb: Float = 0, entropy: Float = 0
        Bernoulli.evaluate(logits: logits, actions: [1, 0, 1], batch: 1, n: 3, logProb: &logProb, entropy: &entropy)
        func softplus(_ x: Double) -> Double { log(1 + exp(x)) }
        func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
        #expect(abs(Double(logProb) - (-log(2) - softplus(2) - softplus(1))) < 1e-6)
        let h = logits.map { Double($0) }.reduce(0.0) { $0 + softplus($1) - sigmoid($1) * $1 }
        #expect(abs(Double(entropy) - h) < 1e-6)

        var rng = RNG(seed: 26)
        var ones = [0, 0, 0]
        var bits: [Float] = [0, 0, 0]
        let head = PolicyHead.bernoulli(count: 3)
        for _ in 0..<30_000 {
            var lp: Float = 0
            head.act(outputs: logits, count: 1, logStd: nil, deterministic: false, rng: &rng, actions: &bits, logProbs: &lp)
            for i in 0..<3 { ones[i] += Int(bits[i]) }
            var evaluated: Float = 0, h: Float = 0
            Bernoulli.evaluate(logits: logits, actions: bits, batch: 1, n: 3, logProb: &evaluated, entropy: &h)
            #expect(lp == evaluated)
        }
        for i in 0..<3 { #expect(abs(Double(ones[i]) / 30_000 - sigmoid(Double(logits[i]))) < 0.01) }
        var lp: Float = 0
        head.act(outputs: logits, count: 1, logStd: nil, deterministic: true, rng: &rng, actions: &bits, logProbs: &lp)
        #expect(bits == [0, 1, 0] && head.outputSize == 3 && head.actionSize == 3 && head.logStdDimension == nil)
    }

    @Test("Gaussian actions are unclipped samples around the mean; deterministic act returns the mean")
    func gaussianAct() {
        var rng = RNG(seed: 22)
        var config = PPOConfig.default
        config.initialLogStd = 0.5
        let model = ActorCritic(observationSize: 3, actionSpace: .box(low: [-0.1], high: [0.1]), config: config, rng: &rng)
        let obs: [Float] = [0.1, 0.2, 0.3]
        let mean = model.act(obs, deterministic: true, rng: &rng)
        var outside = 0
        var sum = 0.0
        for _ in 0..<5000 {
            let s = model.act(obs, rng: &rng)
            if abs(s.action[0]) > 0.1 { outside += 1 }
            sum += Double(s.action[0])
            #expect(s.value == mean.value)
        }
        #expect(outside > 1000, "samples are not clipped to the action bounds")
        #expect(abs(sum / 5000 - Double(mean.action[0])) < 0.06)
    }

    @Test("flat parameters round-trip and copy between models")
    func flatParameters() {
        var rng = RNG(seed: 23)
        let a = ActorCritic(observationSize: 4, actionSpace: .box(low: [-1, -1], high: [1, 1]), config: .default, rng: &rng)
        let b = ActorCritic(observationSize: 4, actionSpace: .box(low: [-1, -1], high: [1, 1]), config: .default, rng: &rng)
        #expect(a.flatParameters != b.flatParameters)
        b.copyParameters(from: a)
        #expect(a.flatParameters == b.flatParameters)
        #expect(a.parameterCount == (4 * 64 + 64) + (64 * 64 + 64) + (64 * 2 + 2) + (4 * 64 + 64) + (64 * 64 + 64) + (64 + 1) + 2)
    }

    @Test("an update on a fixed rollout lowers the loss and keeps the approx-KL small")
    func updateLearns() {
        var rng = RNG(seed: 24)
        var config = PPOConfig.default
        config.hiddenSizes = [16, 16]
        config.updateEpochs = 4
        config.minibatchSize = 32
        let model = ActorCritic(observationSize: 2, actionSpace: .discrete(2), config: config, rng: &rng)
        let updater = PPOUpdater(model: model, config: config)
        // Action 1 is good when obs[0] > 0, action 0 otherwise.
        let n = 256
        var obs: [Float] = [], actions: [Float] = [], logProbs: [Float] = [], values: [Float] = [], adv: [Float] = []
        for _ in 0..<n {
            let o: [Float] = [Float(rng.uniform(-1, 1)), Float(rng.uniform(-1, 1))]
            let s = model.act(o, rng: &rng)
            obs += o
            actions += s.action
            logProbs.append(s.logProb)
            values.append(s.value)
            adv.append((s.action[0] == 1) == (o[0] > 0) ? 1 : -1)
        }
        let rollout = Rollout(observations: obs, actions: actions, logProbs: logProbs, values: values,
                              advantages: adv, returns: values.map { $0 + 1 })
        let before = Self.preference(model, rng: &rng)
        let stats = updater.update(rollout, learningRate: 1e-2, rng: &rng)
        let after = Self.preference(model, rng: &rng)
        #expect(stats.minibatches == 4 * 8 && stats.epochs == 4)
        #expect(after > before + 0.2, "probability of the good action: \(before) → \(after)")
        #expect(stats.approxKL.isFinite && stats.clipFraction >= 0 && stats.clipFraction <= 1)
    }

    static func preference(_ model: ActorCritic, rng: inout RNG) -> Double {
        var good = 0
        for i in 0..<200 {
            let x = Float(i) / 100 - 1
            if (model.act([x, 0], deterministic: true, rng: &rng).action[0] == 1) == (x > 0) { good += 1 }
        }
        return Double(good) / 200
    }
}
