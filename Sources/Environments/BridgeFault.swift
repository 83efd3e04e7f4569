/// What went wrong with environments that run outside this process (the Gymnasium bridge, PROTOCOL/BRIDGE.md).
///
/// `isPermanent` separates the faults that trying again cannot fix (no interpreter, an unknown id, a space the
/// policy cannot handle) from those of a running environment (it raised, died, hung or returned NaN), after which
/// a worker restarts the bridge.
public enum BridgeFault: Sendable, Equatable, CustomStringConvertible {
    /// The interpreter could not be started.
    case interpreterNotFound(python: String, reason: String)
    /// The bridge refused to start: Gymnasium missing, an unknown id, a module that fails to import, bad
    /// arguments, an unsupported space (`kind` as in BRIDGE.md §1.3).
    case refused(envID: String, kind: String, message: String)
    /// An environment raised in `reset`/`step`; `message` is the last line of the traceback.
    case raised(envID: String, envIndex: Int, message: String)
    /// The Python process ended; `lastLine` is the last line it wrote to stderr.
    case exited(envID: String, status: String, lastLine: String)
    /// No answer within the timeout (the bridge was killed).
    case timedOut(envID: String, seconds: Double, during: String)
    /// An observation or reward that is NaN or infinite.
    case nonFinite(envID: String, envIndex: Int, step: Int, what: String)
    /// The bridge broke the channel's rules (BRIDGE.md).
    case protocolViolation(envID: String, detail: String)

    public var isPermanent: Bool {
        switch self {
        case .interpreterNotFound, .refused: true
        case .raised, .exited, .timedOut, .nonFinite, .protocolViolation: false
        }
    }

    public var description: String {
        switch self {
        case .interpreterNotFound(let python, let reason):
            "cannot start the Python interpreter '\(python)': \(reason); give --python PATH (or set PPO_PYTHON) "
                + "to an interpreter with gymnasium installed"
        case .refused(let envID, let kind, let message):
            "\(envID): \(message)" + (kind == "gymnasium_missing"
                ? " (install it into the interpreter: pip install gymnasium numpy, or \"gymnasium[mujoco]\")" : "")
        case .raised(let envID, let envIndex, let message):
            "\(envID): env \(envIndex) raised \(message)"
        case .exited(let envID, let status, let lastLine):
            "\(envID): the Python process \(status)" + (lastLine.isEmpty ? "" : "; its last words: \(lastLine)")
        case .timedOut(let envID, let seconds, let during):
            "\(envID): no answer from the Python process within \(seconds) s during \(during) (--env-timeout); "
                + "it was killed"
        case .nonFinite(let envID, let envIndex, let step, let what):
            "\(envID): env \(envIndex) returned a non-finite \(what) at step \(step) of its episode"
        case .protocolViolation(let envID, let detail):
            "\(envID): the Python bridge broke the channel's rules: \(detail)"
        }
    }
}
