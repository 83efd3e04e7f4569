import Foundation

/// Which environment a run trains: a native one by Gymnasium id (`CartPole-v1`, stepped in this process), or any
/// Gymnasium environment through the Python bridge (`gym:HalfCheetah-v5`, `gym:my_package.envs:MyEnv-v0`), with
/// the keyword arguments for `gymnasium.make` as one canonical JSON object.
public struct EnvironmentSelection: Sendable, Hashable, Codable, CustomStringConvertible {
    /// What marks a Gymnasium id.
    public static let gymPrefix = "gym:"
    /// Longest id (and longest arguments object) a run may name; the wire carries both (PROTOCOL.md §4.2).
    public static let maxIDBytes = 256
    public static let maxArgumentBytes = 4096

    /// The id as the user gives it: `CartPole-v1` or `gym:ID`.
    public var id: String
    /// `{"key": value, …}` with keys sorted, or "" for none. Only Gymnasium environments take arguments.
    public var arguments: String

    public init(id: String, arguments: String = "") {
        self.id = id
        self.arguments = arguments
    }

    /// Whether the environment is stepped by Gymnasium in a Python process.
    public var isGym: Bool { id.hasPrefix(Self.gymPrefix) }
    /// The id `gymnasium.make` takes (the id without `gym:`).
    public var gymID: String { String(id.dropFirst(Self.gymPrefix.count)) }
    /// The arguments as the bridge takes them (`{}` for none).
    public var argumentsObject: String { arguments.isEmpty ? "{}" : arguments }

    public var description: String { arguments.isEmpty ? id : "\(id) \(arguments)" }

    /// Checks the id and the arguments: sizes, a `gym:` id that is not empty, arguments only for Gymnasium ids,
    /// and arguments that are one JSON object.
    public func validated() throws(EnvironmentError) -> EnvironmentSelection {
        guard !id.isEmpty, id.utf8.count <= Self.maxIDBytes, !id.contains(where: { $0.isWhitespace || $0.isNewline })
        else { throw .invalidSelection(id: id, reason: "an environment id is 1–\(Self.maxIDBytes) bytes without spaces") }
        if isGym, gymID.isEmpty { throw .invalidSelection(id: id, reason: "gym: needs an id after it, e.g. gym:HalfCheetah-v5") }
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

    /// The canonical arguments object of `--env-arg key=value` pairs: each value is JSON (`0.1`, `true`, `null`,
    /// `"text"`, `[1, 2]`), and a value that is not JSON is taken as a string; keys sorted, a repeated key is
    /// an error.
    public static func arguments(fromPairs pairs: [String]) throws(EnvironmentError) -> String {
        guard !pairs.isEmpty else { return "" }
        var values: [String: String] = [:]
        for pair in pairs {
            let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let key = parts.first, !key.isEmpty,
                  key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }), key.first?.isNumber == false
            else {
                throw .invalidSelection(id: pair, reason: "--env-arg takes key=value with a Python keyword as the key, e.g. --env-arg ctrl_cost_weight=0.05")
            }
            guard values[key] == nil else { throw .invalidSelection(id: pair, reason: "--env-arg \(key) is given twice") }
            values[key] = jsonText(parts[1])
        }
        let body = values.keys.sorted().map { "\(jsonText($0)): \(values[$0] ?? "null")" }.joined(separator: ", ")
        return "{\(body)}"
    }

    /// `text` if it is one JSON value, else `text` as a JSON string.
    private static func jsonText(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty, (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8), options: .fragmentsAllowed)) != nil {
            return trimmed
        }
        guard let data = try? JSONSerialization.data(withJSONObject: [text], options: [.withoutEscapingSlashes]),
              let array = String(data: data, encoding: .utf8)
        else { return "null" }
        return String(array.dropFirst().dropLast())
    }
}
