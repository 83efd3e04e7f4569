import Environments
import Foundation
import PPOCore
import Yams

/// The run's own keys beside PPOConfig's, decoded over a base configuration (`RunConfiguration.baseKey`): only
/// the keys present change.
extension RunConfiguration: Decodable {
    public enum RunKeys: String, CodingKey, CaseIterable {
        case env, envArgs = "env_args", register, wrappers, totalSteps = "total_steps", stopAtReturn = "stop_at_return", base
        case evalEvery = "eval_every", evalEpisodes = "eval_episodes", stopAtEvalReturn = "stop_at_eval_return"
    }

    /// The configuration a decoder starts from, in its user info.
    public static let baseKey: CodingUserInfoKey = {
        guard let key = CodingUserInfoKey(rawValue: "ppo.run.base") else { preconditionFailure("a valid user-info key") }
        return key
    }()

    public init(from decoder: Decoder) throws {
        self = decoder.userInfo[Self.baseKey] as? RunConfiguration ?? RunConfiguration(envID: "", totalSteps: 100_000, ppo: .default)
        let c = try decoder.container(keyedBy: RunKeys.self)
        if c.contains(.env) {
            let id = try c.decode(String.self, forKey: .env)
            guard !id.isEmpty else { throw DecodingError.dataCorruptedError(forKey: .env, in: c, debugDescription: "a name") }
            envID = id
        }
        if c.contains(.envArgs) { envArguments = try Self.canonicalArguments(c.decode(Argument.self, forKey: .envArgs), in: c) }
        if c.contains(.register) { envSetup.registrations = try c.decodeNil(forKey: .register) ? [] : c.decode([String].self, forKey: .register) }
        if c.contains(.wrappers) { envSetup.wrappers = try Self.wrappers(c.decode(Argument.self, forKey: .wrappers), in: c) }
        if c.contains(.register) || c.contains(.wrappers) {
            do {
                try envSetup.check()
            } catch {
                throw DecodingError.dataCorruptedError(forKey: c.contains(.wrappers) ? .wrappers : .register, in: c, debugDescription: error.description)
            }
        }
        if c.contains(.totalSteps) { totalSteps = try c.positiveInteger(.totalSteps) }
        // Whether it is finite is checked with the rest of the run (`problems()`).
        if c.contains(.stopAtReturn) { stopAtReturn = try c.decodeNil(forKey: .stopAtReturn) ? nil : c.decode(Double.self, forKey: .stopAtReturn) }
        if c.contains(.evalEvery) { evaluation.every = try c.decodeNil(forKey: .evalEvery) ? nil : c.positiveInteger(.evalEvery) }
        if c.contains(.evalEpisodes) { evaluation.episodes = try c.decode(Int.self, forKey: .evalEpisodes) }
        if c.contains(.stopAtEvalReturn) {
            evaluation.stopAtReturn = try c.decodeNil(forKey: .stopAtEvalReturn) ? nil : c.decode(Double.self, forKey: .stopAtEvalReturn)
        }
        ppo = try PPOConfig(from: decoder)
    }

    /// A YAML mapping of `gymnasium.make` keyword arguments as one canonical JSON object ("" for none or null).
    static func canonicalArguments(_ value: Argument, in c: KeyedDecodingContainer<RunKeys>) throws -> String {
        if case .null = value { return "" }
        guard let object = value.foundation as? [String: Any] else {
            throw DecodingError.dataCorruptedError(forKey: .envArgs, in: c, debugDescription: "a mapping of gymnasium.make keyword arguments")
        }
        do {
            return try EnvironmentSelection.canonical(object)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .envArgs, in: c, debugDescription: error.description)
        }
    }

    /// A YAML list of `{class: module:Class, kwargs: {…}}` mappings (kwargs optional) as the setup's wrappers.
    static func wrappers(_ value: Argument, in c: KeyedDecodingContainer<RunKeys>) throws -> [EnvironmentSetup.Wrapper] {
        if case .null = value { return [] }
        let bad = DecodingError.dataCorruptedError(forKey: .wrappers, in: c, debugDescription: expectation(for: "wrappers"))
        guard case .list(let entries) = value else { throw bad }
        return try entries.map { entry in
            guard case .object(let fields) = entry, Set(fields.keys).isSubset(of: ["class", "kwargs"]), case .string(let path)? = fields["class"]
            else { throw bad }
            let kwargs = fields["kwargs"]?.foundation ?? [String: Any]()
            guard let object = kwargs as? [String: Any] else { throw bad }
            do {
                return EnvironmentSetup.Wrapper(path: path, arguments: try EnvironmentSelection.canonical(object))
            } catch {
                throw DecodingError.dataCorruptedError(forKey: .wrappers, in: c, debugDescription: "\(error)")
            }
        }
    }

    /// What a key's value must be, for error messages.
    static func expectation(for key: String) -> String {
        switch key {
        case "env": "a name"
        case "env_args": "a mapping of gymnasium.make keyword arguments (values: finite numbers, text, true/false, null, lists, mappings)"
        case "register": "a list of module:function paths the bridge calls before gymnasium.make (packages that register their envs in a function)"
        case "wrappers": "a list of {class: module:Class, kwargs: {…}} mappings, the wrappers the bridge applies in order (kwargs optional)"
        case "total_steps": "a positive whole number"
        case "stop_at_return": "a number (the mean return of the last 20 training episodes that ends the run early) or null"
        case "eval_every": "a positive whole number of updates between greedy evaluations, or null for none"
        case "eval_episodes": "a whole number of episodes per evaluation (0: no final evaluation)"
        case "stop_at_eval_return": "a number (the greedy evaluation's mean return that ends the run early) or null"
        case "base": "seed or default"
        default: PPOConfig.CodingKeys(rawValue: key).map(PPOConfig.expectation) ?? "a valid configuration"
        }
    }

    /// The top-level key a decoding error is about.
    static func key(of error: Error) -> String? {
        let path: [CodingKey]
        switch error as? DecodingError {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context): path = context.codingPath
        case .keyNotFound(let key, let context): path = context.codingPath + [key]
        case nil: return nil
        @unknown default: return nil
        }
        return path.first?.stringValue
    }

    /// A YAML value as the user wrote it, for error messages.
    static func text(_ node: Node) -> String {
        if let scalar = node.scalar { return scalar.string }
        return ((try? Yams.serialize(node: node)) ?? "\(node)").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Any YAML value (for `env_args`, whose keys and values are the environment's).
    enum Argument: Decodable {
        case null, bool(Bool), integer(Int), number(Double), string(String), list([Argument]), object([String: Argument])

        init(from decoder: Decoder) throws {
            if let c = try? decoder.singleValueContainer(), c.decodeNil() { self = .null; return }
            if let c = try? decoder.singleValueContainer() {
                if let b = try? c.decode(Bool.self) { self = .bool(b); return }
                if let i = try? c.decode(Int.self) { self = .integer(i); return }
                if let d = try? c.decode(Double.self) { self = .number(d); return }
                if let s = try? c.decode(String.self) { self = .string(s); return }
            }
            if let list = try? [Argument](from: decoder) { self = .list(list); return }
            self = .object(try [String: Argument](from: decoder))
        }

        /// As JSONSerialization takes it.
        var foundation: Any {
            switch self {
            case .null: NSNull()
            case .bool(let b): b
            case .integer(let i): i
            case .number(let d): d
            case .string(let s): s
            case .list(let l): l.map(\.foundation)
            case .object(let o): o.mapValues(\.foundation)
            }
        }
    }
}
