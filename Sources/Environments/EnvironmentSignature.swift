import PPOCore

/// The environment signature of PROTOCOL.md §4.11 (FNV-1a 64 of a canonical description): the id, the
/// `gymnasium.make` arguments, both spaces with their bounds, the time limit, and the spaces the bridge flattened
/// (as Gymnasium prints them; absent for flat spaces, so those signatures are as before). Two workers whose
/// environments differ in any of these (another package version, other arguments) have different signatures.
public enum EnvironmentSignature {
    public static func canonical(envID: String, arguments: String, setup: String = "", observationSpace: Space, actionSpace: Space,
                                 maxEpisodeSteps: Int, flattenedFrom: (observation: String?, action: String?) = (nil, nil)) -> String {
        var result = "\(envID)|args=\(arguments)|obs=\(text(observationSpace))|act=\(text(actionSpace))|limit=\(maxEpisodeSteps)"
        if !setup.isEmpty { result += "|setup=\(setup)" }
        if let observation = flattenedFrom.observation { result += "|obs_from=\(observation)" }
        if let action = flattenedFrom.action { result += "|act_from=\(action)" }
        return result
    }

    public static func hash(envID: String, arguments: String, setup: String = "", observationSpace: Space, actionSpace: Space,
                            maxEpisodeSteps: Int, flattenedFrom: (observation: String?, action: String?) = (nil, nil)) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        let text = canonical(envID: envID, arguments: arguments, setup: setup, observationSpace: observationSpace, actionSpace: actionSpace,
                             maxEpisodeSteps: maxEpisodeSteps, flattenedFrom: flattenedFrom)
        for byte in text.utf8 {
            h ^= UInt64(byte)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// `discrete:N`, `box:D:low…:high…` (each bound as Swift prints a Float: `-inf`, `1.0`),
    /// `multi_discrete:n0,n1,…` or `multi_binary:N`.
    static func text(_ space: Space) -> String {
        switch space {
        case .discrete(let n): "discrete:\(n)"
        case .box(let low, let high): "box:\(low.count):" + low.map { "\($0)" }.joined(separator: ",") + ":" + high.map { "\($0)" }.joined(separator: ",")
        case .multiDiscrete(let nvec): "multi_discrete:" + nvec.map(String.init).joined(separator: ",")
        case .multiBinary(let n): "multi_binary:\(n)"
        }
    }
}

extension EnvironmentSpec {
    /// The §4.11 signature of this env made as `selection` says (its `gymnasium.make` keyword arguments, its
    /// registrations and wrappers).
    public func signature(_ selection: EnvironmentSelection) -> UInt64 {
        EnvironmentSignature.hash(envID: id, arguments: selection.arguments, setup: selection.setup.text, observationSpace: observationSpace,
                                  actionSpace: actionSpace, maxEpisodeSteps: maxEpisodeSteps, flattenedFrom: (observationFlattenedFrom, actionFlattenedFrom))
    }

    /// The signature of this env made with `arguments` and no setup.
    public func signature(arguments: String) -> UInt64 { signature(EnvironmentSelection(id: id, arguments: arguments)) }

    /// The text the signature hashes, for messages that say how two envs differ.
    public func canonicalDescription(_ selection: EnvironmentSelection) -> String {
        EnvironmentSignature.canonical(envID: id, arguments: selection.arguments, setup: selection.setup.text, observationSpace: observationSpace,
                                       actionSpace: actionSpace, maxEpisodeSteps: maxEpisodeSteps, flattenedFrom: (observationFlattenedFrom, actionFlattenedFrom))
    }

    /// The text the signature of this env made with `arguments` and no setup hashes.
    public func canonicalDescription(arguments: String) -> String { canonicalDescription(EnvironmentSelection(id: id, arguments: arguments)) }
}
