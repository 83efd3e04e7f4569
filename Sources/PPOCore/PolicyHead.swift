/// The distribution the actor's outputs parameterise for an action space, and everything PPO asks of it, in one
/// place: acting (a sample or the mode, with its log-probability) and, in the update, the log-probability and
/// entropy of the stored actions and their gradients.
///
/// `Discrete(n)` is a categorical of one segment of n logits; a `Box` of D values a diagonal Gaussian whose mean is
/// the actor's output and whose log-std is a parameter of its own (`ActorCritic.logStd`); `MultiDiscrete(nvec)` one
/// segment per component; n binary actions (`MultiBinary(n)`) independent Bernoullis of one logit each.
public enum PolicyHead: Sendable, Equatable, Hashable, Codable {
    /// Independent categoricals over consecutive segments of the logits, one per action component.
    case categorical(segments: [Int])
    /// A diagonal Gaussian over `dimension` values.
    case gaussian(dimension: Int)
    /// Independent Bernoullis over `count` binary actions.
    case bernoulli(count: Int)

    public init(_ space: Space) {
        switch space {
        case .discrete(let n): self = .categorical(segments: [n])
        case .box(let low, _): self = .gaussian(dimension: low.count)
        case .multiDiscrete(let nvec): self = .categorical(segments: nvec)
        case .multiBinary(let n): self = .bernoulli(count: n)
        }
    }

    /// Floats the actor outputs per observation: logits, or the Gaussian's mean.
    public var outputSize: Int {
        switch self {
        case .categorical(let segments): segments.reduce(0, +)
        case .gaussian(let dimension): dimension
        case .bernoulli(let count): count
        }
    }

    /// Floats one action occupies: one index per segment, the Gaussian's dimension, or one bit per Bernoulli.
    public var actionSize: Int {
        switch self {
        case .categorical(let segments): segments.count
        case .gaussian(let dimension): dimension
        case .bernoulli(let count): count
        }
    }

    /// The dimension of the learned log-std, for a Gaussian; nil for a categorical head.
    public var logStdDimension: Int? {
        if case .gaussian(let dimension) = self { return dimension }
        return nil
    }

    /// Actions (B, actionSize) and their log-probabilities (B) from the actor's outputs (B, outputSize): sampled,
    /// or (`deterministic`) the most probable index of each segment / the Gaussian's mean.
    func act(
        outputs: UnsafePointer<Float>, count: Int, logStd: Parameter?, deterministic: Bool, rng: inout RNG,
        actions: UnsafeMutablePointer<Float>, logProbs: UnsafeMutablePointer<Float>
    ) {
        switch self {
        case .categorical(let segments):
            let width = outputSize, k = segments.count
            for b in 0..<count {
                logProbs[b] = Categorical.act(
                    logits: outputs + b * width, segments: segments, deterministic: deterministic, rng: &rng, into: actions + b * k)
            }
        case .gaussian(let d):
            guard let logStd else { preconditionFailure("a Gaussian head always has a log-std") }
            for b in 0..<count {
                let mean = outputs + b * d
                let action = actions + b * d
                if deterministic {
                    action.update(from: mean, count: d)
                    var entropyScratch: Float = 0
                    DiagonalGaussian.evaluate(
                        mean: mean, logStd: logStd.value, actions: action, batch: 1, dimension: d, logProb: logProbs + b,
                        entropy: &entropyScratch)
                } else {
                    logProbs[b] = DiagonalGaussian.sample(mean: mean, logStd: logStd.value, dimension: d, rng: &rng, into: action)
                }
            }
        case .bernoulli(let n):
            for b in 0..<count {
                logProbs[b] = Bernoulli.act(logits: outputs + b * n, n: n, deterministic: deterministic, rng: &rng, into: actions + b * n)
            }
        }
    }

    /// The update's forward pass: the log-probabilities (B) and entropies (B) of the stored `actions` (B,
    /// actionSize) under the actor's `outputs`; `scratch` keeps what `backward` needs.
    func evaluate(
        outputs: UnsafePointer<Float>, actions: UnsafePointer<Float>, count: Int, logStd: Parameter?,
        logProb: UnsafeMutablePointer<Float>, entropy: UnsafeMutablePointer<Float>, scratch: Scratch
    ) {
        switch self {
        case .categorical(let segments):
            Categorical.evaluate(
                logits: outputs, actions: actions, batch: count, segments: segments, logProb: logProb, entropy: entropy,
                logSoftmax: scratch.logSoftmax.reserve(count * outputSize),
                segmentEntropy: scratch.segmentEntropy.reserve(count * segments.count))
        case .gaussian(let d):
            guard let logStd else { preconditionFailure("a Gaussian head always has a log-std") }
            DiagonalGaussian.evaluate(
                mean: outputs, logStd: logStd.value, actions: actions, batch: count, dimension: d, logProb: logProb,
                entropy: entropy)
        case .bernoulli(let n):
            Bernoulli.evaluate(logits: outputs, actions: actions, batch: count, n: n, logProb: logProb, entropy: entropy)
        }
    }

    /// The update's backward pass after `evaluate`: ∂L/∂outputs (B, outputSize) from ∂L/∂logProb and ∂L/∂entropy,
    /// and the log-std's gradient added into `logStd`'s.
    func backward(
        outputs: UnsafePointer<Float>, actions: UnsafePointer<Float>, count: Int, logStd: Parameter?,
        dLogProb: UnsafePointer<Float>, dEntropy: UnsafePointer<Float>, scratch: Scratch,
        dOutputs: UnsafeMutablePointer<Float>
    ) {
        switch self {
        case .categorical(let segments):
            Categorical.backward(
                actions: actions, logSoftmax: scratch.logSoftmax.pointer, segmentEntropy: scratch.segmentEntropy.pointer,
                dLogProb: dLogProb, dEntropy: dEntropy, batch: count, segments: segments, dLogits: dOutputs)
        case .gaussian(let d):
            guard let logStd else { preconditionFailure("a Gaussian head always has a log-std") }
            DiagonalGaussian.backward(
                mean: outputs, logStd: logStd.value, actions: actions, dLogProb: dLogProb, dEntropy: dEntropy,
                batch: count, dimension: d, dMean: dOutputs, dLogStd: logStd.grad)
        case .bernoulli(let n):
            Bernoulli.backward(
                logits: outputs, actions: actions, dLogProb: dLogProb, dEntropy: dEntropy, batch: count, n: n, dLogits: dOutputs)
        }
    }

    /// What `evaluate` leaves for `backward`: the categoricals' log-softmax and per-segment entropies.
    final class Scratch {
        let logSoftmax = ScratchBuffer()
        let segmentEntropy = ScratchBuffer()
    }
}

extension PolicyHead: CustomStringConvertible {
    public var description: String {
        switch self {
        case .categorical(let segments): segments.count == 1 ? "Categorical(\(segments[0]))" : "Categorical(\(segments))"
        case .gaussian(let dimension): "Gaussian(\(dimension))"
        case .bernoulli(let count): "Bernoulli(\(count))"
        }
    }
}
