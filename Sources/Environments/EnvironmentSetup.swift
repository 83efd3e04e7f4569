import Foundation

/// What the bridge does around `gymnasium.make` for a `gym:` environment (BRIDGE.md §1.3): the functions it calls
/// first — packages that no longer register their environments on import, since Gymnasium 1.x loads no plugins
/// (`minatar:register_envs`) — and the wrappers it puts the environment in after, in order, each with its own
/// keyword arguments (`minigrid.wrappers:ImgObsWrapper`, `gymnasium.wrappers:TimeLimit` with
/// `{"max_episode_steps":100}`). A preset's `register:` and `wrappers:`, or `--env-register` and `--env-wrapper`.
///
/// It is part of the environment's identity: the learner sends it in the Welcome, the checkpoint keeps it, and the
/// signature hashes its canonical text. A worker imports what the learner names here (SECURITY.md).
public struct EnvironmentSetup: Sendable, Hashable {
    /// One wrapper: `module:Class` (Class may be dotted) and its keyword arguments as a canonical JSON object ("" for
    /// none).
    public struct Wrapper: Sendable, Hashable {
        public var path: String
        public var arguments: String

        public init(path: String, arguments: String = "") {
            self.path = path
            self.arguments = arguments
        }
    }

    /// `module:function` paths, called in order before `gymnasium.make`.
    public var registrations: [String]
    /// Applied in order after `gymnasium.make`: the first wraps the environment, the next wraps that.
    public var wrappers: [Wrapper]

    /// The most registrations, and the most wrappers, a setup may have; its text is at most `maxTextBytes`.
    public static let maxEntries = 16
    public static let maxTextBytes = 4096

    public init(registrations: [String] = [], wrappers: [Wrapper] = []) {
        self.registrations = registrations
        self.wrappers = wrappers
    }

    public static let none = EnvironmentSetup()

    public var isEmpty: Bool { registrations.isEmpty && wrappers.isEmpty }

    /// `["m:f", …]`: the registrations as a JSON list.
    public var registrationsJSON: String { "[" + registrations.compactMap { CanonicalJSON.text($0) }.joined(separator: ",") + "]" }
    /// `[{"class":"m:C","kwargs":{…}}, …]`: the wrappers as a JSON list.
    public var wrappersJSON: String { "[" + wrappers.map(\.json).joined(separator: ",") + "]" }

    /// The setup as the bridge's `--register` and `--wrappers` take it (BRIDGE.md §1.1).
    public var bridgeArguments: [String] {
        isEmpty ? [] : ["--register", registrationsJSON, "--wrappers", wrappersJSON]
    }

    /// The canonical text (the signature, the Welcome and the checkpoint hold it): compact JSON with sorted keys,
    /// `{"register":["m:f"],"wrappers":[{"class":"m:C","kwargs":{…}}]}`, or "" for none.
    public var text: String {
        isEmpty ? "" : "{\"register\":\(registrationsJSON),\"wrappers\":\(wrappersJSON)}"
    }

    /// `text` read back (from a Welcome or a checkpoint), every part checked as the flags are; "" is `none`.
    public init(text: String) throws(EnvironmentError) {
        guard !text.isEmpty else {
            self = .none
            return
        }
        guard text.utf8.count <= Self.maxTextBytes,
              let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
              Set(object.keys).isSubset(of: ["register", "wrappers"]),
              let register = (object["register"] ?? [Any]()) as? [String],
              let wrappers = (object["wrappers"] ?? [Any]()) as? [[String: Any]]
        else { throw Self.invalid(text, "it must be {\"register\": [\"module:function\", …], \"wrappers\": [{\"class\": \"module:Class\", \"kwargs\": {…}}, …]}") }
        var parsed: [Wrapper] = []
        for entry in wrappers {
            guard Set(entry.keys).isSubset(of: ["class", "kwargs"]), let path = entry["class"] as? String,
                  let kwargs = (entry["kwargs"] ?? [String: Any]()) as? [String: Any]
            else { throw Self.invalid(text, "each wrapper is {\"class\": \"module:Class\", \"kwargs\": {…}}") }
            parsed.append(Wrapper(path: path, arguments: try EnvironmentSelection.canonical(kwargs)))
        }
        self.init(registrations: register, wrappers: parsed)
        try check()
    }

    /// A `--env-wrapper` value: `module:Class`, or `module:Class={JSON object of keyword arguments}`.
    public static func wrapper(fromFlag flag: String) throws(EnvironmentError) -> Wrapper {
        let parts = flag.split(separator: "=", maxSplits: 1).map(String.init)
        let path = parts.first ?? ""
        guard parts.count == 2 else { return Wrapper(path: path) }
        guard let kwargs = (try? JSONSerialization.jsonObject(with: Data(parts[1].utf8))) as? [String: Any] else {
            throw invalid(flag, "a wrapper's keyword arguments are one JSON object: --env-wrapper 'module:Class={\"key\": 1}'")
        }
        return Wrapper(path: path, arguments: try EnvironmentSelection.canonical(kwargs))
    }

    /// Checks the paths (`module:name`, each part a dotted Python identifier), the counts and the text's size.
    public func check() throws(EnvironmentError) {
        guard registrations.count <= Self.maxEntries, wrappers.count <= Self.maxEntries else {
            throw Self.invalid(text, "at most \(Self.maxEntries) registrations and \(Self.maxEntries) wrappers")
        }
        for path in registrations where !Self.isPythonPath(path) {
            throw Self.invalid(path, "a registration function is written module:function (e.g. minatar:register_envs)")
        }
        for wrapper in wrappers where !Self.isPythonPath(wrapper.path) {
            throw Self.invalid(wrapper.path, "a wrapper is written module:Class (e.g. minigrid.wrappers:ImgObsWrapper)")
        }
        guard text.utf8.count <= Self.maxTextBytes else {
            throw Self.invalid(String(text.prefix(80)) + "…", "the registrations and wrappers take more than \(Self.maxTextBytes) bytes")
        }
    }

    /// `module.sub:Name.attr`: two non-empty parts, each of dot-separated identifiers.
    static func isPythonPath(_ path: String) -> Bool {
        let sides = path.split(separator: ":", omittingEmptySubsequences: false)
        guard sides.count == 2 else { return false }
        return sides.allSatisfy { side in
            let names = side.split(separator: ".", omittingEmptySubsequences: false)
            return !names.isEmpty && names.allSatisfy { name in
                guard let first = name.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
                return name.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
            }
        }
    }

    static func invalid(_ what: String, _ reason: String) -> EnvironmentError {
        .invalidSelection(id: what, reason: reason)
    }
}

extension EnvironmentSetup.Wrapper {
    /// `{"class":"m:C","kwargs":{…}}` (no `kwargs` when there are none).
    var json: String {
        let name = CanonicalJSON.text(path) ?? "\"\""
        return arguments.isEmpty ? "{\"class\":\(name)}" : "{\"class\":\(name),\"kwargs\":\(arguments)}"
    }
}
