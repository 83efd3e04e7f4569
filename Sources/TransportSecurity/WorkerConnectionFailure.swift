import NIOSSL

/// Why a connection to the learner failed on the learner's side, as one sentence with the next step and without
/// BoringSSL's error stack (source paths and numeric codes stay out of the learner's log). The counterpart of
/// `LearnerConnectionFailure`, which says it from the worker's side.
public enum WorkerConnectionFailure {
    /// The sentence for `error`, if it is a TLS failure; nil for anything else.
    public static func sentence(for error: any Error) -> String? {
        let boring: BoringSSLError
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .handshakeFailed(let b): boring = b
            case .uncleanShutdown: return "the peer closed the connection without ending TLS"
            default: return "TLS: \(ssl)"
            }
        } else if let b = error as? BoringSSLError {
            boring = b
        } else {
            return nil
        }
        let stack: NIOBoringSSLErrorStack
        switch boring {
        case .sslError(let s), .unknownError(let s): stack = s
        case .zeroReturn, .syscallError: return "the peer closed the connection during the TLS handshake"
        default: return "TLS handshake failed"
        }
        let reasons = stack.map(LearnerConnectionFailure.reasonName)
        if reasons.contains(where: { ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "RECORD_TOO_LARGE"].contains($0) }) {
            return "the peer does not speak TLS (a worker started with --plaintext, or another program): this learner speaks mutual TLS; start the worker with --tls-dir DIR --cert-name worker-N"
        }
        if reasons.contains(where: { ["PEER_DID_NOT_RETURN_A_CERTIFICATE", "TLSV1_ALERT_CERTIFICATE_REQUIRED"].contains($0) }) {
            return "the peer presented no certificate: a worker needs --tls-dir DIR --cert-name worker-N (from `ppo certs`)"
        }
        if reasons.contains("CERTIFICATE_VERIFY_FAILED") || reasons.contains("TLSV1_ALERT_UNKNOWN_CA") {
            return "the peer's certificate is not signed by this run's CA (files from another `ppo certs` run?)"
        }
        return "TLS handshake failed: \(reasons.first ?? "unknown reason")"
    }
}
