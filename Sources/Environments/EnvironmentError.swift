import PPOCore

/// Why an action was refused.
public enum InvalidActionReason: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The action has `got` floats; the action space needs `expected`.
    case wrongDimension(expected: Int, got: Int)
    /// Component `index` is NaN or infinite.
    case notFinite(index: Int)
    /// A discrete action that is not a whole number.
    case notIntegral
    /// A discrete index outside `0..<count`.
    case outOfRange(count: Int)

    public var description: String {
        switch self {
        case .wrongDimension(let expected, let got):
            "the action has \(got) value(s) but the action space needs \(expected); "
                + "pass exactly \(expected) float(s) per env (a discrete action is one float holding its index)"
        case .notFinite(let index):
            "action component \(index) is not finite (NaN or infinity); "
                + "check the policy output for NaN, e.g. from a diverged network or a zero standard deviation"
        case .notIntegral:
            "a discrete action must be a whole number (its index as a Float); round or sample an index instead"
        case .outOfRange(let count):
            "a discrete action must be an index in 0..<\(count); the policy head must have \(count) outputs"
        }
    }
}

/// Errors of the Environments module. Each message says what happened and what to do about it.
public enum EnvironmentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `step` was given an action that is not in the env's action space (finite out-of-bounds continuous actions
    /// are valid: the dynamics clip them).
    case invalidAction(envID: String, action: [Float], reason: InvalidActionReason)
    /// `VectorEnv.step` was given a batch of the wrong size.
    case wrongActionBatchSize(envID: String, expected: Int, got: Int)
    /// No environment is registered under `id`.
    case unknownEnvironment(id: String, known: [String])
    /// `setState` was given a state of the wrong size or with a non-finite value.
    case invalidState(envID: String, state: [Double], reason: String)
    /// A `VectorEnv` needs at least one env.
    case invalidEnvCount(Int)
    /// An environment id or its arguments cannot be used.
    case invalidSelection(id: String, reason: String)
    /// Environments outside this process (the Gymnasium bridge) failed.
    case bridge(BridgeFault)

    public var description: String {
        switch self {
        case .invalidAction(let envID, let action, let reason):
            "\(envID): invalid action \(action): \(reason)"
        case .wrongActionBatchSize(let envID, let expected, let got):
            "\(envID): the vector env needs \(expected) action floats (envs × action size), got \(got); "
                + "pass one action per env, flattened env by env"
        case .unknownEnvironment(let id, let known):
            "unknown environment id '\(id)'; known ids: \(known.joined(separator: ", ")) (ids are case-sensitive), "
                + "or gym:ID for any Gymnasium environment (gym:HalfCheetah-v5, gym:my_package.envs:MyEnv-v0)"
        case .invalidState(let envID, let state, let reason):
            "\(envID): invalid state \(state): \(reason)"
        case .invalidEnvCount(let count):
            "a vector env needs at least 1 env, got \(count); pass a positive number of envs"
        case .invalidSelection(let id, let reason):
            "environment '\(id)': \(reason)"
        case .bridge(let fault):
            fault.description
        }
    }
}

// MARK: - Action checks shared by the envs

/// Checks a `Discrete(count)` action and returns its index.
@inline(__always)
func discreteIndex(
    _ action: UnsafeBufferPointer<Float>, count: Int, envID: @autoclosure () -> String
) throws(EnvironmentError) -> Int {
    guard action.count == 1 else {
        throw .invalidAction(
            envID: envID(), action: Array(action), reason: .wrongDimension(expected: 1, got: action.count))
    }
    let value = action[0]
    // One comparison covers the common case: an integral value in range.
    if value >= 0, value < Float(count), value == value.rounded(.towardZero) {
        return Int(value)
    }
    throw discreteError(value, count: count, envID: envID())
}

@inline(never)
func discreteError(_ value: Float, count: Int, envID: String) -> EnvironmentError {
    .invalidAction(envID: envID, action: [value], reason: discreteReason(value, count: count, index: 0))
}

/// Why `value`, component `index` of an action, is not an index in `0..<count`.
func discreteReason(_ value: Float, count: Int, index: Int) -> InvalidActionReason {
    if !value.isFinite { .notFinite(index: index) }
    else if value != value.rounded(.towardZero) { .notIntegral }
    else { .outOfRange(count: count) }
}

/// Checks a `Box` action of `dimension` floats: right size, all finite (out-of-bounds values are allowed).
@inline(__always)
func checkBox(
    _ action: UnsafeBufferPointer<Float>, dimension: Int, envID: @autoclosure () -> String
) throws(EnvironmentError) {
    guard action.count == dimension else {
        throw .invalidAction(
            envID: envID(), action: Array(action), reason: .wrongDimension(expected: dimension, got: action.count))
    }
    for index in 0..<dimension where !action[index].isFinite {
        throw .invalidAction(envID: envID(), action: Array(action), reason: .notFinite(index: index))
    }
}

extension Space {
    /// Checks an action of this space, as an env about to step with it does: the right number of values; a Box's
    /// all finite (out-of-bounds values are allowed: the env clips); each discrete component (Discrete,
    /// MultiDiscrete, MultiBinary) a whole number in its range.
    public func check(_ action: UnsafeBufferPointer<Float>, envID: @autoclosure () -> String) throws(EnvironmentError) {
        if case .box(let low, _) = self {
            try checkBox(action, dimension: low.count, envID: envID())
            return
        }
        guard action.count == flatSize else {
            throw .invalidAction(
                envID: envID(), action: Array(action), reason: .wrongDimension(expected: flatSize, got: action.count))
        }
        for index in 0..<action.count {
            let value = action[index], count = choices(at: index) ?? 0
            guard value >= 0, value < Float(count), value == value.rounded(.towardZero) else {
                throw .invalidAction(envID: envID(), action: Array(action), reason: discreteReason(value, count: count, index: index))
            }
        }
    }
}
