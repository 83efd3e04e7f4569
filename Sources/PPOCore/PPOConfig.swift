/// Every hyper-parameter of a PPO run, with two presets: `.seed` reproduces the original PyTorch seed exactly,
/// `.default` fixes what the seed gets wrong or leaves out (see each field).
public struct PPOConfig: Codable, Sendable, Equatable {
    // MARK: Network
    /// Hidden layer widths of both actor and critic.
    public var hiddenSizes: [Int] = [64, 64]
    public var activation: Activation = .tanh
    public var initialization: Initialization = .orthogonal
    /// Initial log σ of the Gaussian head (continuous actions).
    public var initialLogStd: Double = 0
    /// The convolutional encoder's stack for an observation with an image: nil takes the Nature CNN for images of
    /// at least 36×36 and flattens smaller ones into the MLPs; a stack (e.g. MinAtar's `[[16, 3, 1]]`, each
    /// `[out_channels, kernel, stride]`) is used for any image (`NetworkSpec.choose`).
    public var convolutions: [ConvolutionalActorCritic.Convolution]? = nil
    /// Units of the layer the convolutional network's two heads share (512 in the Nature CNN, 128 in MinAtar's).
    public var sharedHiddenSize: Int = 512

    // MARK: Rollout and returns
    /// Environments stepped together by one collector (CleanRL's `num_envs`, rl-zoo's `n_envs`).
    public var numEnvs: Int = 1
    /// Transitions collected per update, over all environments (a multiple of `numEnvs`).
    public var rolloutSteps: Int = 2048
    /// Discount factor γ.
    public var gamma: Double = 0.99
    /// GAE λ.
    public var gaeLambda: Double = 0.95
    /// How a time-limit truncation enters GAE: `.bootstrap` from V(final observation) (correct), or `.seed`
    /// (`done = terminated or truncated`, no bootstrap).
    public var truncation: GAE.TruncationHandling = .bootstrap

    // MARK: Update
    public var learningRate: Double = 3e-4
    /// Constant, or linearly annealed to 0 over the run.
    public var learningRateSchedule: LearningRateSchedule = .constant
    /// Passes over the rollout per update.
    public var updateEpochs: Int = 10
    public var minibatchSize: Int = 64
    /// PPO clip ε for the ratio.
    public var clipCoef: Double = 0.2
    /// If set, the value loss is clipped around the old values with this ε (PPO2 style); nil = unclipped.
    public var valueClipCoef: Double? = nil
    public var valueCoef: Double = 0.5
    public var entropyCoef: Double = 0.01
    /// Global gradient-norm clip (PyTorch `clip_grad_norm_`).
    public var maxGradNorm: Double = 0.5
    public var adamBeta1: Double = 0.9
    public var adamBeta2: Double = 0.999
    /// Adam ε: PyTorch's default 1e-8 in the seed, 1e-5 as in the PPO reference implementations.
    public var adamEps: Double = 1e-5
    /// Where advantages are normalised: per minibatch (default), over the whole rollout (seed), or not at all.
    public var advantageNormalization: AdvantageNormalization = .minibatch
    /// Stop the epochs of an update early once the mean approx-KL of an epoch exceeds this; nil = never.
    public var targetKL: Double? = nil
    /// How many versions older than the trainer's the policy that collected a transition may be: 0, strictly
    /// on-policy (collection waits for every update), or 1, the next rollout collected with the weights before the
    /// update in progress while it runs, PPO's ratio taken against the policy that acted (APPO style). A preset
    /// tuned with 1 says so; `--max-policy-lag` overrides it.
    public var maxPolicyLag: Int = 0

    // MARK: Normalisation (continuous control, sparse rewards)
    public var normalizeObservations: Bool = false
    public var normalizeRewards: Bool = false
    /// Clip range of normalised observations and scaled rewards.
    public var observationClip: Double = 10
    public var rewardClip: Double = 10

    public init() {}

    /// The defaults: orthogonal init, Adam ε 1e-5, per-minibatch advantage normalisation, truncation bootstrap.
    public static let `default` = PPOConfig()

    /// The PyTorch seed's exact configuration: PyTorch default init, Adam ε 1e-8, advantage normalisation over
    /// the whole rollout with the unbiased std, `done = terminated or truncated`, one environment.
    public static let seed: PPOConfig = {
        var c = PPOConfig()
        c.initialization = .pytorchDefault
        c.adamEps = 1e-8
        c.advantageNormalization = .rollout
        c.truncation = .seed
        c.valueClipCoef = nil
        c.entropyCoef = 0.01
        c.learningRateSchedule = .constant
        return c
    }()

    /// The policy lags a run may have: the one place that says so. A worker keeps its current policy and the one
    /// before (and the one-process loop overlaps one version): a lag of 2 would need a third snapshot, and PPO's
    /// clipped ratio is a poor correction that far off-policy.
    public static let policyLags = 0...1
    /// `policyLags` in words, for messages: "0 or 1".
    public static var policyLagWords: String { policyLags.map(String.init).joined(separator: policyLags.count == 2 ? " or " : ", ") }
    /// Hidden layers a network may have, and the widths a layer may have: what a Welcome can carry
    /// (PROTOCOL.md §4.2), so a run that starts can be served to every worker.
    public static let hiddenLayerCounts = 1...16
    public static let hiddenWidths = 1...65536
    /// Most convolutions an encoder may have (what a Welcome can carry).
    public static let maxConvolutions = 8

    /// Problems with the values, each a sentence a user can act on; empty when the config is usable. Covers every
    /// bound a worker's Welcome decoder enforces on what the learner sends of the config.
    public func problems() -> [String] {
        var out: [String] = []
        if !Self.hiddenLayerCounts.contains(hiddenSizes.count) || hiddenSizes.contains(where: { !Self.hiddenWidths.contains($0) }) {
            out.append("hidden_sizes must be \(Self.hiddenLayerCounts.lowerBound)–\(Self.hiddenLayerCounts.upperBound) widths of \(Self.hiddenWidths.lowerBound)–\(Self.hiddenWidths.upperBound) (got \(hiddenSizes))")
        }
        if let convolutions, convolutions.isEmpty || convolutions.count > Self.maxConvolutions {
            out.append("convolutions must be 1–\(Self.maxConvolutions) layers of [out_channels, kernel, stride] (got \(convolutions.count)), or null for the Nature CNN")
        }
        if !Self.hiddenWidths.contains(sharedHiddenSize) {
            out.append("shared_hidden_size must be \(Self.hiddenWidths.lowerBound)–\(Self.hiddenWidths.upperBound) (got \(sharedHiddenSize))")
        }
        if !(observationClip > 0 && observationClip.isFinite) { out.append("observation_clip must be positive and finite (got \(observationClip))") }
        if !(rewardClip > 0 && rewardClip.isFinite) { out.append("reward_clip must be positive and finite (got \(rewardClip))") }
        if !initialLogStd.isFinite { out.append("initial_log_std must be finite (got \(initialLogStd))") }
        if rolloutSteps <= 0 { out.append("rollout_steps must be positive (got \(rolloutSteps))") }
        if numEnvs <= 0 { out.append("num_envs must be positive (got \(numEnvs))") }
        if numEnvs > 0 && rolloutSteps % numEnvs != 0 {
            out.append("rollout_steps (\(rolloutSteps)) must be a multiple of num_envs (\(numEnvs))")
        }
        if minibatchSize <= 0 { out.append("minibatch_size must be positive (got \(minibatchSize))") }
        if updateEpochs <= 0 { out.append("update_epochs must be positive (got \(updateEpochs))") }
        if !(0...1).contains(gamma) { out.append("gamma must be in [0, 1] (got \(gamma))") }
        if !(0...1).contains(gaeLambda) { out.append("gae_lambda must be in [0, 1] (got \(gaeLambda))") }
        if !(learningRate > 0 && learningRate.isFinite) { out.append("learning_rate must be positive (got \(learningRate))") }
        if !(clipCoef > 0) { out.append("clip_coef must be positive (got \(clipCoef))") }
        if let v = valueClipCoef, !(v > 0) { out.append("value_clip_coef must be positive when set (got \(v))") }
        if !(maxGradNorm > 0) { out.append("max_grad_norm must be positive (got \(maxGradNorm))") }
        if !(adamEps > 0) { out.append("adam_eps must be positive (got \(adamEps))") }
        if !(0..<1).contains(adamBeta1) || !(0..<1).contains(adamBeta2) { out.append("adam betas must be in [0, 1)") }
        if valueCoef < 0 || entropyCoef < 0 { out.append("value_coef and entropy_coef must not be negative") }
        if !Self.policyLags.contains(maxPolicyLag) {
            out.append("max_policy_lag must be \(Self.policyLagWords) (got \(maxPolicyLag)): a worker keeps the current policy and the one before it")
        }
        return out
    }
}

/// Where advantages are standardised to zero mean and unit (unbiased) std, `(A − mean) / (std + 1e-8)`.
public enum AdvantageNormalization: String, Codable, Sendable, CaseIterable {
    /// Within each minibatch (CleanRL, SB3).
    case minibatch
    /// Once over the whole rollout before minibatching (the seed).
    case rollout
    case off
}

/// The learning_rate schedule over a run.
public enum LearningRateSchedule: String, Codable, Sendable, CaseIterable {
    case constant
    /// lr · (1 − (update − 1) / totalUpdates), reaching ~0 at the last update (CleanRL's `anneal_lr`).
    case linear

    /// The rate for 1-based `update` of `totalUpdates`.
    public func rate(base: Double, update: Int, totalUpdates: Int) -> Double {
        switch self {
        case .constant: return base
        case .linear:
            guard totalUpdates > 0 else { return base }
            let fraction = 1.0 - Double(update - 1) / Double(totalUpdates)
            return base * max(fraction, 0)
        }
    }
}
