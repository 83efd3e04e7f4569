import Environments
import TransportSecurity
import Wire

/// How one of the worker's connections ended: what ``ReconnectPolicy`` decides on.
public enum SessionEnding: Sendable, Equatable {
    /// The learner said the run is finished.
    case finished
    /// The connection ended and trying again may help; `afterWelcome`: it had been established (the backoff
    /// starts over).
    case reconnect(String, afterWelcome: Bool = false)
    /// The learner refused this worker for good (a protocol version it does not speak, another environment, a
    /// certificate it does not accept).
    case refused(String)
    /// The environment failed (raised, died, hung, NaN); the grants went back with the connection.
    case environmentFailed(BridgeFault)
    /// This worker cannot serve the run (it cannot make the learner's environment, or its own differs).
    case unusable(String)

    /// What an `Error` message from the learner means for this worker (PROTOCOL.md §7): only what retrying cannot
    /// fix — a protocol version it does not speak, an environment that is not the learner's — ends it; everything
    /// else (a timeout after a partition, too many connections, a learner shutting down or restarting, a batch
    /// it refused) is a reconnect with the usual backoff.
    static func learnerError(code: UInt16, _ text: String, afterWelcome: Bool) -> SessionEnding {
        let known = WireError.Code(rawValue: code)
        let refusal = "\(known.map { "\($0)" } ?? "error \(code)"): \(text)"
        switch known {
        case .unsupportedVersion, .envMismatch: return .refused(refusal)
        default: return .reconnect("the learner ended the connection with \(refusal)", afterWelcome: afterWelcome)
        }
    }

    /// What the learner's Goodbye means: the end of the run, or a reconnect (it restarts or shuts down).
    static func goodbye(_ g: Goodbye, afterWelcome: Bool) -> SessionEnding {
        g.reason == .finished ? .finished : .reconnect("learner: \(g.message)", afterWelcome: afterWelcome)
    }

    /// A connection that failed with `error` (connecting, handshaking, or reading): refused for good when no
    /// retry can fix it (``LearnerConnectionFailure/Kind/isPermanent``, or a plaintext worker that reached a TLS
    /// learner), else a reconnect; either way in one sentence.
    static func connectionFailed(_ error: any Error, host: String, port: Int) -> SessionEnding {
        if let wire = error as? WireError, wire.isTLSMismatch {
            return .refused("the learner at \(host):\(port) speaks TLS and this worker was started with --plaintext: give it --tls-dir DIR --cert-name worker-N")
        }
        let failure = LearnerConnectionFailure(error, host: host, port: port)
        return failure.kind.isPermanent ? .refused(failure.description) : .reconnect(failure.description)
    }
}
