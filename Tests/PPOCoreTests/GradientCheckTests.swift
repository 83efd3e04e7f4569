import Testing
@testable import PPOCore
import TestSupport

/// Finite-difference checks of every backward pass: Linear + activations through an MLP (tanh and ReLU),
/// the Categorical and Gaussian heads, and the whole PPO loss through the updater (value clipping on and off).
///
/// Central differences in Float with step h: truncation error O(h²), rounding O(ε_f·|L|/h); the tolerances
/// below leave room for both and still catch any wrong term (a wrong sign or factor is an O(1) error).
@Suite("Finite-difference gradient checks", .offThePool)
struct GradientCheckTests {
    static let h: Float = 1e-3

    /// Checks ∂L/∂p for up to `samples` entries of each parameter against central differences of `loss`.
    static func check(
        parameters: [Parameter], samples: Int = 12, rng: inout RNG, what: String,
        computeGradients: () -> Void, loss: () -> Double, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        computeGradients()
        let analytic = parameters.map(\.gradients)
        var checked = 0
        for (pi, p) in parameters.enumerated() {
            for _ in 0..<min(samples, p.count) {
                let i = rng.integer(below: p.count)
                let original = p.value[i]
                p.value[i] = original + h
                let plus = loss()
                p.value[i] = original - h
                let minus = loss()
                p.value[i] = original
                let numeric = (plus - minus) / Double(2 * h)
                let a = Double(analytic[pi][i])
                let ok = abs(a - numeric) <= 2e-3 + 2e-2 * abs(numeric)
                #expect(ok, "\(what) \(p.name)[\(i)]: analytic \(a) vs numeric \(numeric)", sourceLocation: sourceLocation)
                checked += 1
            }
        }
        #expect(checked > 0, sourceLocation: sourceLocation)
    }

    @Test("MLP (Linear + tanh / ReLU) backward", arguments: Activation.allCases)
    func mlp(activation: Activation) {
        var rng = RNG(seed: 11)
        let net = MLP(sizes: [5, 16, 16, 3], activation: activation, name: "net")
        Initialization.orthogonal.apply(to: net, outputGain: 1, rng: &rng)
        for layer in net.layers {  // non-zero biases so their gradients matter
            for k in 0..<layer.bias.count { layer.bias.value[k] = Float(rng.uniform(-0.5, 0.5)) }
        }
        let batch = 7
        let x = (0..<(batch * 5)).map { _ in Float(rng.uniform(-1, 1)) }
        let w = (0..<(batch * 3)).map { _ in Float(rng.uniform(-1, 1)) }
        // L = Σ w ⊙ net(x)
        func loss() -> Double {
            x.withUnsafeBufferPointer { xb in
                let out = net.forward(xb.baseAddress!, batch: batch)
                var total = 0.0
                for i in 0..<(batch * 3) { total += Double(w[i]) * Double(out[i]) }
                return total
            }
        }
        Self.check(parameters: net.parameters, rng: &rng, what: "MLP(\(activation))", computeGradients: {
            for p in net.parameters { p.zeroGrad() }
            _ = loss()
            w.withUnsafeBufferPointer { net.backward($0.baseAddress!) }
        }, loss: loss)
    }

    @Test("Categorical head backward (log-prob and entropy), one segment (Discrete) and several (MultiDiscrete)",
          arguments: [[4], [3, 2, 4]])
    func categorical(segments: [Int]) {
        var rng = RNG(seed: 12)
        let batch = 6, width = segments.reduce(0, +), k = segments.count
        let logits = Parameter(name: "logits", shape: [batch, width])
        for i in 0..<logits.count { logits.value[i] = Float(rng.uniform(-2, 2)) }
        let actions = (0..<batch).flatMap { _ in segments.map { Float(rng.integer(below: $0)) } }
        let cLogProb = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        let cEntropy = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        var logProb = [Float](repeating: 0, count: batch)
        var entropy = [Float](repeating: 0, count: batch)
        var lsm = [Float](repeating: 0, count: batch * width)
        var segmentEntropy = [Float](repeating: 0, count: batch * k)
        func loss() -> Double {
            Categorical.evaluate(logits: logits.value, actions: actions, batch: batch, segments: segments,
                                 logProb: &logProb, entropy: &entropy, logSoftmax: &lsm, segmentEntropy: &segmentEntropy)
            return (0..<batch).reduce(0.0) { $0 + Double(cLogProb[$1] * logProb[$1] + cEntropy[$1] * entropy[$1]) }
        }
        Self.check(parameters: [logits], samples: 24, rng: &rng, what: "Categorical\(segments)", computeGradients: {
            _ = loss()
            Categorical.backward(actions: actions, logSoftmax: lsm, segmentEntropy: segmentEntropy, dLogProb: cLogProb,
                                 dEntropy: cEntropy, batch: batch, segments: segments, dLogits: logits.grad)
        }, loss: loss)
    }

    @Test("Bernoulli head backward (log-prob and entropy), MultiBinary's")
    func bernoulli() {
        var rng = RNG(seed: 15)
        let batch = 5, n = 3
        let logits = Parameter(name: "logits", shape: [batch, n])
        for i in 0..<logits.count { logits.value[i] = Float(rng.uniform(-3, 3)) }
        let actions = (0..<(batch * n)).map { _ in Float(rng.integer(below: 2)) }
        let cLogProb = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        let cEntropy = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        var logProb = [Float](repeating: 0, count: batch)
        var entropy = [Float](repeating: 0, count: batch)
        func loss() -> Double {
            Bernoulli.evaluate(logits: logits.value, actions: actions, batch: batch, n: n, logProb: &logProb, entropy: &entropy)
            return (0..<batch).reduce(0.0) { $0 + Double(cLogProb[$1] * logProb[$1] + cEntropy[$1] * entropy[$1]) }
        }
        Self.check(parameters: [logits], samples: 15, rng: &rng, what: "Bernoulli", computeGradients: {
            _ = loss()
            Bernoulli.backward(logits: logits.value, actions: actions, dLogProb: cLogProb, dEntropy: cEntropy, batch: batch, n: n,
                               dLogits: logits.grad)
        }, loss: loss)
    }

    @Test("Diagonal Gaussian head backward (mean and log-std)")
    func gaussian() {
        var rng = RNG(seed: 13)
        let batch = 5, d = 3
        let mean = Parameter(name: "mean", shape: [batch, d])
        let logStd = Parameter(name: "log_std", shape: [d])
        for i in 0..<mean.count { mean.value[i] = Float(rng.uniform(-1, 1)) }
        for i in 0..<d { logStd.value[i] = Float(rng.uniform(-0.7, 0.3)) }
        let actions = (0..<(batch * d)).map { _ in Float(rng.uniform(-2, 2)) }
        let cLogProb = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        let cEntropy = (0..<batch).map { _ in Float(rng.uniform(-1, 1)) }
        var logProb = [Float](repeating: 0, count: batch)
        var entropy = [Float](repeating: 0, count: batch)
        func loss() -> Double {
            DiagonalGaussian.evaluate(mean: mean.value, logStd: logStd.value, actions: actions, batch: batch,
                                      dimension: d, logProb: &logProb, entropy: &entropy)
            return (0..<batch).reduce(0.0) { $0 + Double(cLogProb[$1] * logProb[$1] + cEntropy[$1] * entropy[$1]) }
        }
        Self.check(parameters: [mean, logStd], samples: 15, rng: &rng, what: "Gaussian", computeGradients: {
            mean.zeroGrad()
            logStd.zeroGrad()
            _ = loss()
            DiagonalGaussian.backward(mean: mean.value, logStd: logStd.value, actions: actions, dLogProb: cLogProb,
                                      dEntropy: cEntropy, batch: batch, dimension: d, dMean: mean.grad, dLogStd: logStd.grad)
        }, loss: loss)
    }

    /// The whole chain: networks, head, clipped surrogate, value loss (optionally clipped), entropy bonus.
    @Test("PPO loss through the networks", arguments: [
        (Space.discrete(3), nil as Double?), (Space.discrete(3), 0.2), (Space.box(low: [-1, -1], high: [1, 1]), nil), (Space.box(low: [-1, -1], high: [1, 1]), 0.2),
    ])
    func ppoLoss(space: Space, valueClip: Double?) {
        var rng = RNG(seed: 14)
        var config = PPOConfig.default
        config.hiddenSizes = [8, 8]
        config.valueClipCoef = valueClip
        config.entropyCoef = 0.05
        config.initialization = .pytorchDefault
        let model = ActorCritic(observationSize: 4, actionSpace: space, config: config, rng: &rng)
        let updater = PPOUpdater(model: model, config: config)
        let n = 16
        let actionSize = space.flatSize
        let actions: [Float] = (0..<(n * actionSize)).map { _ in
            space.isDiscrete ? Float(rng.integer(below: 3)) : Float(rng.uniform(-1.5, 1.5))
        }
        let observations = (0..<(n * 4)).map { _ in Float(rng.uniform(-1, 1)) }
        // Old log-probs near the current ones, so that ratios fall on both sides of the clip range.
        var probe = RNG(seed: 99)
        var current = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let obs = Array(observations[(i * 4)..<(i * 4 + 4)])
            current[i] = model.act(obs, deterministic: false, rng: &probe).logProb
        }
        let batch = Minibatch(
            observations: observations, actions: actions,
            oldLogProbs: (0..<n).map { _ in Float(rng.uniform(-2.5, -0.5)) },
            advantages: (0..<n).map { _ in Float(rng.normal()) },
            returns: (0..<n).map { _ in Float(rng.uniform(-1, 1)) },
            oldValues: (0..<n).map { _ in Float(rng.uniform(-0.5, 0.5)) })
        Self.check(parameters: model.parameters, samples: 6, rng: &rng, what: "PPO \(space) valueClip \(String(describing: valueClip))",
                   computeGradients: { _ = updater.computeGradients(batch) },
                   loss: { Double(updater.computeGradients(batch).totalLoss) })
    }
}
