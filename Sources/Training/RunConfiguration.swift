import Foundation
import Environments
import PPOCore
import Yams

/// Everything a training run is configured by: the environment, the length of the run, and the PPO
/// hyper-parameters. Read from YAML presets (one key per line, snake_case, rl-zoo style) and overridden key by key
/// from the command line with the same names.
public struct RunConfiguration: Sendable, Equatable {
    /// Gymnasium id of a native environment (`CartPole-v1`), or `gym:ID` for any Gymnasium environment.
    public var envID: String
    /// Keyword arguments for `gymnasium.make`, a canonical JSON object ("" for none; `gym:` ids only).
    public var envArguments: String
    /// Environment steps to train for (rounded down to whole updates, at least one).
    public var totalSteps: Int
    public var ppo: PPOConfig

    public init(envID: String, envArguments: String = "", totalSteps: Int, ppo: PPOConfig) {
        self.envID = envID
        self.envArguments = envArguments
        self.totalSteps = totalSteps
        self.ppo = ppo
    }

    /// The environment and its arguments.
    public var environment: EnvironmentSelection { EnvironmentSelection(id: envID, arguments: envArguments) }

    /// Number of updates the run makes.
    public var totalUpdates: Int { max(1, totalSteps / max(ppo.rolloutSteps, 1)) }

    /// Sets one key from a YAML value (`"0.98"`, `"[64, 64]"`, `"linear"`, `"null"`).
    public mutating func set(_ key: String, yaml text: String) throws(ConfigurationError) {
        let value: Any?
        do {
            value = try Yams.load(yaml: text)
        } catch {
            throw .badValue(key: key, value: text, expected: "a YAML scalar or list")
        }
        try set(key, value: value)
    }

    /// Sets one key from a parsed YAML value.
    public mutating func set(_ key: String, value: Any?) throws(ConfigurationError) {
        switch key {
        case "env": envID = try string(key, value)
        case "env_args": envArguments = try arguments(key, value)
        case "total_steps": totalSteps = try positiveInt(key, value)
        case "base": break  // handled when the file is read
        case "hidden_sizes":
            guard let list = value as? [Any], !list.isEmpty else { throw .badValue(key: key, value: "\(value ?? "null")", expected: "a list of widths, e.g. [64, 64]") }
            var sizes: [Int] = []
            for item in list { sizes.append(try positiveInt(key, item)) }
            ppo.hiddenSizes = sizes
        case "activation": ppo.activation = try choice(key, value, Activation.self)
        case "initialization": ppo.initialization = try choice(key, value, Initialization.self)
        case "initial_log_std": ppo.initialLogStd = try double(key, value)
        case "num_envs": ppo.numEnvs = try positiveInt(key, value)
        case "rollout_steps": ppo.rolloutSteps = try positiveInt(key, value)
        case "gamma": ppo.gamma = try double(key, value)
        case "gae_lambda": ppo.gaeLambda = try double(key, value)
        case "truncation": ppo.truncation = try choice(key, value, GAE.TruncationHandling.self)
        case "learning_rate": ppo.learningRate = try double(key, value)
        case "learning_rate_schedule": ppo.learningRateSchedule = try choice(key, value, LearningRateSchedule.self)
        case "update_epochs": ppo.updateEpochs = try positiveInt(key, value)
        case "minibatch_size": ppo.minibatchSize = try positiveInt(key, value)
        case "clip_coef": ppo.clipCoef = try double(key, value)
        case "value_clip_coef": ppo.valueClipCoef = value == nil || value is NSNull ? nil : try double(key, value)
        case "value_coef": ppo.valueCoef = try double(key, value)
        case "entropy_coef": ppo.entropyCoef = try double(key, value)
        case "max_grad_norm": ppo.maxGradNorm = try double(key, value)
        case "adam_eps": ppo.adamEps = try double(key, value)
        case "adam_beta1": ppo.adamBeta1 = try double(key, value)
        case "adam_beta2": ppo.adamBeta2 = try double(key, value)
        case "advantage_normalization": ppo.advantageNormalization = try choice(key, value, AdvantageNormalization.self)
        case "target_kl": ppo.targetKL = value == nil || value is NSNull ? nil : try double(key, value)
        case "normalize_observations": ppo.normalizeObservations = try bool(key, value)
        case "normalize_rewards": ppo.normalizeRewards = try bool(key, value)
        case "observation_clip": ppo.observationClip = try double(key, value)
        case "reward_clip": ppo.rewardClip = try double(key, value)
        default: throw .unknownKey(key, known: Self.keys)
        }
    }

    /// Every key a preset or `--set` accepts.
    public static let keys = [
        "env", "env_args", "total_steps", "base", "hidden_sizes", "activation", "initialization", "initial_log_std", "num_envs",
        "rollout_steps", "gamma", "gae_lambda", "truncation", "learning_rate", "learning_rate_schedule",
        "update_epochs", "minibatch_size", "clip_coef", "value_clip_coef", "value_coef", "entropy_coef",
        "max_grad_norm", "adam_eps", "adam_beta1", "adam_beta2", "advantage_normalization", "target_kl",
        "normalize_observations", "normalize_rewards", "observation_clip", "reward_clip",
    ]

    /// Reads a preset: a YAML mapping of keys. `base: seed` starts from the seed's configuration, otherwise from
    /// the defaults. `source` names the file in errors.
    public static func parse(yaml text: String, source: String) throws(ConfigurationError) -> RunConfiguration {
        let object: Any?
        do {
            object = try Yams.load(yaml: text)
        } catch {
            throw .unreadable(source, reason: "not valid YAML: \(error)")
        }
        guard let mapping = object as? [String: Any] else {
            throw .unreadable(source, reason: "expected a mapping of keys (key: value per line)")
        }
        var config = RunConfiguration(envID: "", totalSteps: 100_000, ppo: .default)
        if let base = mapping["base"] {
            switch base as? String {
            case "seed": config.ppo = .seed
            case "default": config.ppo = .default
            default: throw .badValue(key: "base", value: "\(base)", expected: "seed or default")
            }
        }
        for key in mapping.keys.sorted() {
            do {
                try config.set(key, value: mapping[key])
            } catch {
                throw .inFile(source, error)
            }
        }
        return config
    }

    /// Problems that make the run impossible; empty when it can start.
    public func problems() -> [String] {
        var out = ppo.problems()
        if envID.isEmpty { out.append("no environment: set env (e.g. --env CartPole-v1)") }
        do { _ = try environment.validated() } catch { out.append(error.description) }
        if totalSteps <= 0 { out.append("total_steps must be positive") }
        return out
    }

    // MARK: Value conversions

    private func string(_ key: String, _ value: Any?) throws(ConfigurationError) -> String {
        guard let s = value as? String, !s.isEmpty else { throw .badValue(key: key, value: "\(value ?? "null")", expected: "a name") }
        return s
    }

    /// A YAML mapping of `gymnasium.make` keyword arguments, as a canonical JSON object.
    private func arguments(_ key: String, _ value: Any?) throws(ConfigurationError) -> String {
        if value == nil || value is NSNull { return "" }
        guard let mapping = value as? [String: Any], JSONSerialization.isValidJSONObject(mapping),
              let data = try? JSONSerialization.data(withJSONObject: mapping, options: [.sortedKeys, .withoutEscapingSlashes])
        else { throw .badValue(key: key, value: "\(value ?? "null")", expected: "a mapping of gymnasium.make keyword arguments") }
        return mapping.isEmpty ? "" : String(decoding: data, as: UTF8.self)
    }

    private func double(_ key: String, _ value: Any?) throws(ConfigurationError) -> Double {
        switch value {
        case let d as Double where d.isFinite: return d
        case let i as Int: return Double(i)
        case let s as String:
            if let d = Double(s), d.isFinite { return d }
        default: break
        }
        throw .badValue(key: key, value: "\(value ?? "null")", expected: "a number")
    }

    private func positiveInt(_ key: String, _ value: Any?) throws(ConfigurationError) -> Int {
        switch value {
        case let i as Int where i > 0: return i
        case let d as Double where d > 0 && d == d.rounded() && d < 1e15: return Int(d)  // 1e5 in YAML is a float
        case let s as String:
            if let d = Double(s), d > 0, d == d.rounded(), d < 1e15 { return Int(d) }
        default: break
        }
        throw .badValue(key: key, value: "\(value ?? "null")", expected: "a positive whole number")
    }

    private func bool(_ key: String, _ value: Any?) throws(ConfigurationError) -> Bool {
        guard let b = value as? Bool else { throw .badValue(key: key, value: "\(value ?? "null")", expected: "true or false") }
        return b
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ value: Any?, _ type: T.Type) throws(ConfigurationError) -> T where T.RawValue == String {
        guard let s = value as? String, let v = T(rawValue: s) else {
            throw .badValue(key: key, value: "\(value ?? "null")", expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }
}

/// Why a configuration could not be read.
public indirect enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String, known: [String])
    case badValue(key: String, value: String, expected: String)
    case unreadable(String, reason: String)
    case inFile(String, ConfigurationError)
    case unknownPreset(String, known: [String])

    public var description: String {
        switch self {
        case .unknownKey(let key, let known):
            "unknown setting '\(key)'; the settings are: \(known.joined(separator: ", "))"
        case .badValue(let key, let value, let expected):
            "\(key): '\(value)' is not valid; expected \(expected)"
        case .unreadable(let source, let reason):
            "cannot read \(source): \(reason)"
        case .inFile(let source, let inner):
            "\(source): \(inner)"
        case .unknownPreset(let name, let known):
            "no preset named '\(name)'; the presets are: \(known.joined(separator: ", ")) (or pass a YAML file path)"
        }
    }
}

extension RunConfiguration {
    /// The configuration a command line describes: the preset (`config`, or the environment's own preset),
    /// then `env`, `steps` and each `key=value` override, checked.
    ///
    /// A Gymnasium id (`gym:ID`) takes the preset of the same id without `gym:` where one is shipped (so
    /// `gym:CartPole-v1` trains with CartPole-v1's), else the defaults; `envArguments` are `--env-arg key=value`.
    public static func resolve(
        env: String?, config: String?, steps: Int?, overrides: [String], envArguments: [String] = []
    ) throws(ConfigurationError) -> RunConfiguration {
        let selection = env.map { EnvironmentSelection(id: $0) }
        if let env, let selection, !selection.isGym, config == nil, !EnvironmentRegistry.ids.contains(env) {
            throw .badValue(key: "env", value: env, expected: "one of " + EnvironmentRegistry.ids.joined(separator: ", ") + ", or gym:ID for any Gymnasium environment")
        }
        var run: RunConfiguration
        if let config {
            run = try Presets.load(config)
        } else if let selection, selection.isGym {
            run = Presets.names.contains(selection.gymID) ? try Presets.load(selection.gymID) : RunConfiguration(envID: "", totalSteps: 1_000_000, ppo: .default)
        } else if let env {
            run = try Presets.load(env)
        } else {
            throw .badValue(key: "env", value: "", expected: "an environment (--env ID) or a preset (--config NAME_OR_FILE)")
        }
        if let env { run.envID = env }
        if !envArguments.isEmpty {
            do {
                run.envArguments = try EnvironmentSelection.arguments(fromPairs: envArguments)
            } catch {
                throw .badValue(key: "env-arg", value: envArguments.joined(separator: " "), expected: error.description)
            }
        }
        if let steps { run.totalSteps = steps }
        for o in overrides {
            let parts = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .badValue(key: o, value: o, expected: "key=value") }
            try run.set(parts[0], yaml: parts[1])
        }
        let problems = run.problems()
        guard problems.isEmpty else {
            throw .badValue(key: "configuration", value: problems.joined(separator: "; "), expected: "a valid configuration")
        }
        return run
    }
}
