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
    /// The registrations called before `gymnasium.make` and the wrappers applied after (`register:`, `wrappers:`;
    /// `gym:` ids only).
    public var envSetup = EnvironmentSetup.none
    /// Environment steps to train for (rounded down to whole updates, at least one).
    public var totalSteps: Int
    /// Ends the run before `totalSteps` once the mean return of the last 20 training episodes reaches this
    /// (`RecentReturns.reaches`); nil: the run makes all its updates.
    public var stopAtReturn: Double?
    /// Greedy evaluations while the run trains, the best policy kept, and the stop on the evaluated return.
    public var evaluation = EvaluationSchedule()
    public var ppo: PPOConfig

    public init(envID: String, envArguments: String = "", totalSteps: Int, stopAtReturn: Double? = nil, ppo: PPOConfig) {
        self.envID = envID
        self.envArguments = envArguments
        self.totalSteps = totalSteps
        self.stopAtReturn = stopAtReturn
        self.ppo = ppo
    }

    /// The environment, its arguments and its setup.
    public var environment: EnvironmentSelection { EnvironmentSelection(id: envID, arguments: envArguments, setup: envSetup) }

    /// Number of updates the run makes.
    public var totalUpdates: Int { max(1, totalSteps / max(ppo.rolloutSteps, 1)) }

    /// Sets one key from a YAML value (`"0.98"`, `"[64, 64]"`, `"linear"`, `"null"`).
    public mutating func set(_ key: String, yaml text: String) throws(ConfigurationError) {
        let value: Node
        do {
            value = try Yams.compose(yaml: text) ?? Node("null", Tag(.null))
        } catch {
            throw .badValue(key: key, value: text, expected: "a YAML scalar or list")
        }
        try apply(Node.Mapping([(Node(key), value)]))
    }

    /// Every key a preset or `--set` accepts.
    public static let keys = RunKeys.allCases.map(\.rawValue) + PPOConfig.CodingKeys.allCases.map(\.rawValue)

    /// Reads a preset: a YAML mapping of keys. `base: seed` starts from the seed's configuration, otherwise from
    /// the defaults. `source` names the file in errors.
    public static func parse(yaml text: String, source: String) throws(ConfigurationError) -> RunConfiguration {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .unreadable(source, reason: "not valid YAML: \(error)")
        }
        guard let mapping = node?.mapping else {
            throw .unreadable(source, reason: "expected a mapping of keys (key: value per line)")
        }
        var config = RunConfiguration(envID: "", totalSteps: 100_000, ppo: .default)
        if let base = mapping["base"] {
            switch base.string {
            case "seed": config.ppo = .seed
            case "default": config.ppo = .default
            default: throw .badValue(key: "base", value: base.string ?? "\(base)", expected: "seed or default")
            }
        }
        do {
            try config.apply(mapping)
        } catch {
            throw .inFile(source, error)
        }
        return config
    }

    /// Replaces the keys `mapping` names, decoded by Yams' `YAMLDecoder` over this configuration; an unknown key
    /// or a value of the wrong kind changes nothing and says which.
    mutating func apply(_ mapping: Node.Mapping) throws(ConfigurationError) {
        for key in mapping.keys {
            guard let name = key.string, Self.keys.contains(name) else { throw .unknownKey(key.string ?? "\(key)", known: Self.keys) }
        }
        do {
            self = try YAMLDecoder().decode(
                RunConfiguration.self, from: Node.mapping(mapping), userInfo: [Self.baseKey: self, PPOConfig.baseKey: ppo])
        } catch {
            let key = Self.key(of: error) ?? "configuration"
            let value = mapping[key].map(Self.text) ?? ""
            throw .badValue(key: key, value: value, expected: Self.expectation(for: key))
        }
    }

    /// Problems that make the run impossible; empty when it can start.
    public func problems() -> [String] {
        var out = ppo.problems()
        if envID.isEmpty { out.append("no environment: set env (e.g. --env CartPole-v1)") }
        do { _ = try environment.validated() } catch { out.append(error.description) }
        if totalSteps <= 0 { out.append("total_steps must be positive") }
        if let target = stopAtReturn, !target.isFinite { out.append("stop_at_return must be a finite number (got \(target))") }
        out += evaluation.problems()
        return out
    }
}

/// Why a configuration could not be read.
public indirect enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unknownKey(String, known: [String])
    case badValue(key: String, value: String, expected: String)
    case unreadable(String, reason: String)
    case inFile(String, ConfigurationError)
    case unknownPreset(String, known: [String])
    /// Every value is valid alone, but they do not fit together (`PPOConfig.problems()`).
    case inconsistent([String])

    public var description: String {
        switch self {
        case .unknownKey(let key, let known):
            "unknown setting '\(key)'\(Self.suggestion(for: key, among: known).map { "; did you mean '\($0)'?" } ?? "") The settings are: \(known.joined(separator: ", "))"
        case .badValue(let key, let value, let expected):
            "\(key): '\(value)' is not valid; expected \(expected)"
        case .unreadable(let source, let reason):
            "cannot read \(source): \(reason)"
        case .inFile(let source, let inner):
            "\(source): \(inner)"
        case .unknownPreset(let name, let known):
            "no preset named '\(name)'; the presets are: \(known.joined(separator: ", ")) (or pass a YAML file path)"
        case .inconsistent(let problems):
            "the configuration does not hold together: \(problems.joined(separator: "; "))"
        }
    }

    /// The known name nearest to a mistyped one (at most a third of its letters edited), if there is one.
    static func suggestion(for key: String, among known: [String]) -> String? {
        let typed = Array(key.lowercased())
        let scored = known.map { ($0, editDistance(typed, Array($0))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, typed.count / 3) else { return nil }
        return best.0
    }

    /// Levenshtein distance.
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

extension RunConfiguration {
    /// The configuration a command line describes: the preset (`config`, or the environment's own preset),
    /// then `env`, `steps`, `stopAtReturn` and each `key=value` override, checked.
    ///
    /// A Gymnasium id (`gym:ID`, `gym:module:ID`) takes the preset of the same ID where one is shipped (so
    /// `gym:CartPole-v1` trains with CartPole-v1's, `gym:highway_env:highway-fast-v0` with highway-fast-v0's), else
    /// the defaults; `envArguments` are `--env-arg key=value`
    /// pairs, laid over the preset's `env_args`; `setup`'s registrations and wrappers (`--env-register`,
    /// `--env-wrapper`) come after the preset's.
    public static func resolve(
        env: String?, config: String?, steps: Int?, overrides: [String], envArguments: [String] = [], setup: EnvironmentSetup = .none,
        stopAtReturn: Double? = nil
    ) throws(ConfigurationError) -> RunConfiguration {
        let selection = env.map { EnvironmentSelection(id: $0) }
        if let env, let selection, !selection.isGym, config == nil, !EnvironmentRegistry.ids.contains(env) {
            throw .badValue(key: "env", value: env, expected: "one of " + EnvironmentRegistry.ids.joined(separator: ", ") + ", or gym:ID for any Gymnasium environment")
        }
        var run: RunConfiguration
        if let config {
            run = try Presets.load(config)
        } else if let selection, selection.isGym {
            // (A namespace's `/` is `-` in a preset's name: ALE/Pong-v5 takes ALE-Pong-v5.)
            let name = selection.registeredID.replacingOccurrences(of: "/", with: "-")
            run = Presets.names.contains(name) ? try Presets.load(name) : RunConfiguration(envID: "", totalSteps: 1_000_000, ppo: .default)
        } else if let env {
            run = try Presets.load(env)
        } else {
            throw .badValue(key: "env", value: "", expected: "an environment (--env ID) or a preset (--config NAME_OR_FILE)")
        }
        if let env { run.envID = env }
        if !envArguments.isEmpty {
            do {
                run.envArguments = try EnvironmentSelection.arguments(fromPairs: envArguments, over: run.envArguments)
            } catch {
                throw .badValue(key: "env-arg", value: envArguments.joined(separator: " "), expected: error.description)
            }
        }
        if let steps { run.totalSteps = steps }
        if let stopAtReturn { run.stopAtReturn = stopAtReturn }
        for o in overrides {
            let parts = o.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw .badValue(key: o, value: o, expected: "key=value") }
            try run.set(parts[0], yaml: parts[1])
        }
        // After `--set register=…`/`wrappers=…` (which replace the preset's lists), so the flags always add.
        run.envSetup.registrations += setup.registrations
        run.envSetup.wrappers += setup.wrappers
        let problems = run.problems()
        guard problems.isEmpty else {
            throw .inconsistent(problems)
        }
        return run
    }
}
