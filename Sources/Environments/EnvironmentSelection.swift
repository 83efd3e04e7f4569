import Foundation

/// Which environment a run trains: a native one by Gymnasium id (`CartPole-v1`, stepped in this process), or any
/// Gymnasium environment through the Python bridge (`gym:HalfCheetah-v5`, `gym:my_package.envs:MyEnv-v0`), with
/// the keyword arguments for `gymnasium.make` as one canonical JSON object and the registrations and wrappers around
/// it (`EnvironmentSetup`).
public struct EnvironmentSelection: Sendable, Hashable, CustomStringConvertible {
    /// What marks a Gymnasium id.
    public static let gymPrefix = "gym:"
    /// Longest id (and longest arguments object) a run may name; the wire carries both (PROTOCOL.md §4.2).
    public static let maxIDBytes = 256
    public static let maxArgumentBytes = 4096

    /// The id as the user gives it: `CartPole-v1` or `gym:ID`.
    public var id: String
    /// `{"key": value, …}` with keys sorted, or "" for none. Only Gymnasium environments take arguments.
    public var arguments: String
    /// The registrations the bridge calls before `gymnasium.make` and the wrappers it applies after (none for a
    /// native environment).
    public var setup: EnvironmentSetup

    public init(id: String, arguments: String = "", setup: EnvironmentSetup = .none) {
        self.id = id
        self.arguments = arguments
        self.setup = setup
    }

    /// Whether the environment is stepped by Gymnasium in a Python process.
    public var isGym: Bool { id.hasPrefix(Self.gymPrefix) }
    /// The id `gymnasium.make` takes (the id without `gym:`).
    public var gymID: String { String(id.dropFirst(Self.gymPrefix.count)) }
    /// The id Gymnasium registers the env under: `gymID` without its `module:` prefix (`highway-fast-v0` for
    /// `gym:highway_env:highway-fast-v0`), the name of its shipped preset.
    public var registeredID: String {
        let parts = gymID.split(separator: ":", maxSplits: 1)
        return parts.count == 2 ? String(parts[1]) : gymID
    }
    /// The arguments as the bridge takes them (`{}` for none).
    public var argumentsObject: String { arguments.isEmpty ? "{}" : arguments }

    public var description: String {
        [id, arguments, setup.isEmpty ? "" : "setup \(setup.text)"].filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Checks the id, the arguments and the setup: sizes, a `gym:` id that is not empty, arguments and a setup only
    /// for Gymnasium ids, arguments that are one JSON object, a setup that passes `EnvironmentSetup.check()`.
    public func validated() throws(EnvironmentError) -> EnvironmentSelection {
        guard !id.isEmpty, id.utf8.count <= Self.maxIDBytes, !id.contains(where: { $0.isWhitespace || $0.isNewline })
        else { throw .invalidSelection(id: id, reason: "an environment id is 1–\(Self.maxIDBytes) bytes without spaces") }
        if isGym, gymID.isEmpty { throw .invalidSelection(id: id, reason: "gym: needs an id after it, e.g. gym:HalfCheetah-v5") }
        if !setup.isEmpty {
            guard isGym else { throw .invalidSelection(id: id, reason: "only Gymnasium environments (gym:ID) take --env-wrapper and --env-register") }
            try setup.check()
        }
        guard !arguments.isEmpty else { return self }
        guard isGym else {
            throw .invalidSelection(id: id, reason: "only Gymnasium environments (gym:ID) take --env-arg")
        }
        guard arguments.utf8.count <= Self.maxArgumentBytes,
              let object = try? JSONSerialization.jsonObject(with: Data(arguments.utf8)), object is [String: Any]
        else {
            throw .invalidSelection(id: id, reason: "the environment arguments must be one JSON object of at most \(Self.maxArgumentBytes) bytes")
        }
        return self
    }

    /// The canonical arguments object of `--env-arg key=value` pairs laid over `base` (a canonical object, such as
    /// a preset's `env_args`, or ""): each value is JSON (`0.1`, `true`, `null`, `"text"`, `[1, 2]`), and a value
    /// that is not JSON is taken as a string; a pair replaces the base's value of its key and keeps the others; a
    /// key given twice is an error.
    public static func arguments(fromPairs pairs: [String], over base: String = "") throws(EnvironmentError) -> String {
        guard !pairs.isEmpty else { return base }
        var object: [String: Any] = [:]
        if !base.isEmpty {
            guard let parsed = (try? JSONSerialization.jsonObject(with: Data(base.utf8))) as? [String: Any] else {
                throw .invalidSelection(id: base, reason: "the environment arguments must be one JSON object")
            }
            object = parsed
        }
        var given: Set<String> = []
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let key = parts.first, !key.isEmpty,
                  key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), key.first?.isNumber == false
            else {
                throw .invalidSelection(id: pair, reason: "--env-arg takes key=value with a Python keyword as the key, e.g. --env-arg ctrl_cost_weight=0.05")
            }
            guard given.insert(key).inserted else { throw .invalidSelection(id: pair, reason: "--env-arg \(key) is given twice") }
            object[key] = jsonValue(parts[1])
        }
        return try canonical(object)
    }

    /// The one canonical text of an arguments object, whichever way it was given (a preset's YAML, `--env-arg`):
    /// compact JSON with sorted keys and numbers of the kind they were written as (`CanonicalJSON`), or "" for none.
    /// The environment's signature hashes this text, so a worker given the preset's arguments with `--env-arg` and a
    /// learner reading them from the preset agree.
    public static func canonical(_ object: [String: Any]) throws(EnvironmentError) -> String {
        guard !object.isEmpty else { return "" }
        guard let text = CanonicalJSON.text(object) else {
            throw .invalidSelection(id: "\(object)", reason: "environment arguments are JSON: finite numbers, text, true/false, null, lists and objects")
        }
        return text
    }

    /// `text` parsed if it is one JSON value, else `text` as a string.
    private static func jsonValue(_ text: String) -> Any {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, let value = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: .fragmentsAllowed) {
            return value
        }
        return text
    }
}
