/// PPOConfig's keys are the presets' and `--set`'s snake_case names, in YAML, in checkpoints and on the command
/// line alike. Decoding starts from a base configuration (`PPOConfig.baseKey` in the decoder's user info; else
/// the defaults) and replaces only the keys present, so a preset or an override names just what it changes.
/// Values are checked as they are read: a count must be a positive whole number (`1e5` is one), a choice one of
/// its cases; the bounds between values are `problems()`'.
extension PPOConfig {
    public enum CodingKeys: String, CodingKey, CaseIterable {
        case hiddenSizes = "hidden_sizes", activation, initialization, initialLogStd = "initial_log_std"
        case convolutions, sharedHiddenSize = "shared_hidden_size"
        case numEnvs = "num_envs", rolloutSteps = "rollout_steps", gamma, gaeLambda = "gae_lambda", truncation
        case learningRate = "learning_rate", learningRateSchedule = "learning_rate_schedule"
        case updateEpochs = "update_epochs", minibatchSize = "minibatch_size", clipCoef = "clip_coef"
        case valueClipCoef = "value_clip_coef", valueCoef = "value_coef", entropyCoef = "entropy_coef"
        case maxGradNorm = "max_grad_norm", adamBeta1 = "adam_beta1", adamBeta2 = "adam_beta2", adamEps = "adam_eps"
        case advantageNormalization = "advantage_normalization", targetKL = "target_kl", maxPolicyLag = "max_policy_lag"
        case normalizeObservations = "normalize_observations", normalizeRewards = "normalize_rewards"
        case observationClip = "observation_clip", rewardClip = "reward_clip"
    }

    /// The configuration a decoder starts from, in its user info.
    public static let baseKey: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "ppo.config.base") else { preconditionFailure("a valid user-info key") }
        return key
    }()

    public init(from decoder: Decoder) throws {
        self = decoder.userInfo[Self.baseKey] as? PPOConfig ?? PPOConfig()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let numbers: [(WritableKeyPath<PPOConfig, Double>, CodingKeys)] = [
            (\.initialLogStd, .initialLogStd), (\.gamma, .gamma), (\.gaeLambda, .gaeLambda), (\.learningRate, .learningRate),
            (\.clipCoef, .clipCoef), (\.valueCoef, .valueCoef), (\.entropyCoef, .entropyCoef), (\.maxGradNorm, .maxGradNorm),
            (\.adamBeta1, .adamBeta1), (\.adamBeta2, .adamBeta2), (\.adamEps, .adamEps),
            (\.observationClip, .observationClip), (\.rewardClip, .rewardClip),
        ]
        for (path, key) in numbers { try c.set(&self[keyPath: path], key) }
        let counts: [(WritableKeyPath<PPOConfig, Int>, CodingKeys)] = [
            (\.numEnvs, .numEnvs), (\.sharedHiddenSize, .sharedHiddenSize), (\.rolloutSteps, .rolloutSteps), (\.updateEpochs, .updateEpochs), (\.minibatchSize, .minibatchSize),
        ]
        for (path, key) in counts where c.contains(key) { self[keyPath: path] = try c.positiveInteger(key) }
        if c.contains(.maxPolicyLag) { maxPolicyLag = try c.wholeNumber(.maxPolicyLag, minimum: 0) }
        for (path, key) in [(\PPOConfig.normalizeObservations, CodingKeys.normalizeObservations), (\.normalizeRewards, .normalizeRewards)] {
            try c.set(&self[keyPath: path], key)
        }
        for (path, key) in [(\PPOConfig.valueClipCoef, CodingKeys.valueClipCoef), (\.targetKL, .targetKL)] {
            try c.setOptional(&self[keyPath: path], key)
        }
        if c.contains(.hiddenSizes) { hiddenSizes = try c.widths(.hiddenSizes) }
        try c.setOptional(&convolutions, .convolutions)
        try c.set(&activation, .activation)
        try c.set(&initialization, .initialization)
        try c.set(&truncation, .truncation)
        try c.set(&learningRateSchedule, .learningRateSchedule)
        try c.set(&advantageNormalization, .advantageNormalization)
    }

    /// What a key's value must be, for error messages.
    public static func expectation(for key: CodingKeys) -> String {
        switch key {
        case .hiddenSizes: "a list of widths, e.g. [64, 64]"
        case .convolutions: "a list of [out_channels, kernel, stride], e.g. [[16, 3, 1]], or null for the Nature CNN"
        case .numEnvs, .rolloutSteps, .updateEpochs, .minibatchSize, .sharedHiddenSize: "a positive whole number"
        case .maxPolicyLag: PPOConfig.policyLagWords
        case .activation: "one of " + Activation.allCases.map(\.rawValue).joined(separator: ", ")
        case .initialization: "one of " + Initialization.allCases.map(\.rawValue).joined(separator: ", ")
        case .truncation: "one of " + GAE.TruncationHandling.allCases.map(\.rawValue).joined(separator: ", ")
        case .learningRateSchedule: "one of " + LearningRateSchedule.allCases.map(\.rawValue).joined(separator: ", ")
        case .advantageNormalization: "one of " + AdvantageNormalization.allCases.map(\.rawValue).joined(separator: ", ")
        case .normalizeObservations, .normalizeRewards: "true or false"
        case .valueClipCoef, .targetKL: "a number, or null for none"
        default: "a number"
        }
    }
}

extension KeyedDecodingContainer {
    /// Replaces `value` with the key's value if the key is present.
    func set<T: Decodable>(_ value: inout T, _ key: Key) throws {
        if contains(key) { value = try decode(T.self, forKey: key) }
    }

    /// Replaces `value` if the key is present; `null` clears it.
    func setOptional<T: Decodable>(_ value: inout T?, _ key: Key) throws {
        guard contains(key) else { return }
        value = try decodeNil(forKey: key) ? nil : decode(T.self, forKey: key)
    }

    /// A count: a positive whole number, written as an integer or as an integral float (`1e5`).
    public func positiveInteger(_ key: Key) throws -> Int {
        try wholeNumber(key, minimum: 1)
    }

    /// A whole number of at least `minimum`, written as an integer or as an integral float.
    func wholeNumber(_ key: Key, minimum: Int) throws -> Int {
        if let i = try? decode(Int.self, forKey: key), i >= minimum { return i }
        if let d = try? decode(Double.self, forKey: key), d >= Double(minimum), d == d.rounded(), d < 1e15 { return Int(d) }
        let expected = minimum == 1 ? "a positive whole number" : "a whole number of at least \(minimum)"
        throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: expected)
    }

    /// A list of one or more positive widths.
    func widths(_ key: Key) throws -> [Int] {
        var list = try nestedUnkeyedContainer(forKey: key)
        var out: [Int] = []
        while !list.isAtEnd {
            guard let w = try? list.decode(Int.self), w > 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "a list of widths, e.g. [64, 64]")
            }
            out.append(w)
        }
        guard !out.isEmpty else { throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "a list of widths, e.g. [64, 64]") }
        return out
    }
}
