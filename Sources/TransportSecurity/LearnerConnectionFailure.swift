#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Why a worker could not talk to the learner, as one sentence a person can act on.
///
/// Build it from whatever error the connection produced (connect, handshake, or the first read — under TLS 1.3 a
/// refused worker certificate surfaces only there) with ``init(_:host:port:)``; ``kind`` says what happened,
/// ``description`` says it in words with the next step. The mapping is from the errors observed on real
/// loopback connections (see `TransportSecurityTests`): BoringSSL reports the learner's refusal as the alert it
/// received (`TLSV1_ALERT_CERTIFICATE_REQUIRED`, `TLSV1_ALERT_UNKNOWN_CA`, `SSLV3_ALERT_UNSUPPORTED_CERTIFICATE`,
/// …), its own refusal of the learner as `CERTIFICATE_VERIFY_FAILED`, a peer that is not TLS as
/// `WRONG_VERSION_NUMBER`; NIOSSL reports a certificate that does not name the dialled host as
/// `NIOSSLExtraError.failedToValidateHostname`.
public struct LearnerConnectionFailure: Error, Equatable, Sendable, CustomStringConvertible {
    /// What happened.
    public enum Kind: Equatable, Sendable {
        /// The learner refused this worker's certificate during the handshake.
        case workerCertificateRefused(Refusal)
        /// The learner's certificate does not name the host the worker dialled.
        case learnerCertificateNotValidForHost
        /// The learner's certificate does not chain to the worker's `ca.pem` (another run's CA, expired, or not
        /// a server certificate).
        case learnerCertificateUntrusted
        /// What came back was not TLS (a learner started with `--plaintext`, or another service on that port).
        case learnerNotTLS
        /// The learner closed the connection before the handshake finished.
        case closedDuringHandshake
        /// The learner closed or reset the connection after the handshake, before or while the worker read.
        case connectionClosed
        /// Nothing listens on that address and port.
        case connectionRefused
        /// The TCP connection was not established in time.
        case connectTimeout
        /// The connection was accepted but nothing (no handshake, no first message) came back before the caller's
        /// deadline. Never produced by classification: the worker creates it when its own timer fires.
        case noAnswer
        /// The host name did not resolve.
        case cannotResolve
        /// Another TLS failure; the payload is BoringSSL's reason (e.g. `NO_SHARED_CIPHER`).
        case handshakeFailed(String)
        /// Anything else; the payload is the error as text.
        case other(String)
    }

    /// The learner's reason for refusing a worker certificate, from the TLS alert it sent.
    public enum Refusal: Equatable, Sendable {
        /// `certificate_required`: the worker presented no certificate.
        case noCertificate
        /// `unknown_ca`: the certificate is not signed by the learner's CA.
        case unknownCA
        /// `certificate_expired`: expired or not yet valid.
        case expired
        /// `unsupported_certificate`: not a client certificate (for example learner.pem used by a worker).
        case notAClientCertificate
        /// Another alert; the payload is BoringSSL's name for it.
        case other(String)
    }

    /// What happened.
    public let kind: Kind
    /// The learner host as the worker dialled it.
    public let host: String
    /// The learner port.
    public let port: Int

    /// Creates a failure of the given kind (for errors the caller has classified itself).
    public init(kind: Kind, host: String, port: Int) {
        self.kind = kind
        self.host = host
        self.port = port
    }

    /// Classifies `error`, raised while connecting to `host`:`port`, handshaking, or reading the learner's first
    /// message.
    public init(_ error: any Error, host: String, port: Int) {
        self.init(kind: Self.classify(error), host: host, port: port)
    }

    public var description: String {
        let learner = "the learner at \(endpoint)"
        switch kind {
        case .workerCertificateRefused(let refusal):
            switch refusal {
            case .noCertificate:
                return "\(learner) refused this worker because it presented no certificate "
                    + "(start the worker with --tls-dir DIR --cert-name worker-N; create the files with `ppo certs`)"
            case .unknownCA:
                return "\(learner) refused this worker's certificate: it is not signed by the run's CA "
                    + "(use ca.pem, worker-N.pem and worker-N-key.pem from the same `ppo certs` run as the "
                    + "learner's files)"
            case .expired:
                return "\(learner) refused this worker's certificate because it has expired or is not valid yet "
                    + "(check both machines' clocks; create new certificates with `ppo certs --force`)"
            case .notAClientCertificate:
                return "\(learner) refused this worker's certificate: it is not a worker (client) certificate "
                    + "(use --cert-name worker-N, not the learner's certificate)"
            case .other(let alert):
                return "\(learner) refused this worker's certificate (\(alert)); is it signed by the run's CA? "
                    + "Create matching files with `ppo certs`"
            }
        case .learnerCertificateNotValidForHost:
            return "the learner's certificate is not valid for \(host): dial one of the names or addresses it "
                + "was issued for, or issue it again with `ppo certs --learner-host \(host) …`"
        case .learnerCertificateUntrusted:
            return "\(learner) presented a certificate that this worker's ca.pem does not accept (another run's "
                + "CA, expired, or not a learner certificate); copy ca.pem from the learner's `ppo certs` run"
        case .learnerNotTLS:
            return "\(learner) did not answer TLS (is it running with --plaintext? Then use --plaintext here too, "
                + "on loopback only; or is another service on port \(port)?)"
        case .closedDuringHandshake:
            return "\(learner) closed the connection during the TLS handshake (is it running with --plaintext, "
                + "or at its connection limit? Check the learner's log)"
        case .connectionClosed:
            return "\(learner) closed the connection (right after connecting, this usually means it refused this "
                + "worker or is at its connection limit: check the learner's log)"
        case .connectionRefused:
            return "nothing is listening at \(endpoint) (is the learner running, and are the host and port right?)"
        case .connectTimeout:
            return "\(learner) did not accept the connection in time (is the address right? Is a firewall "
                + "dropping packets?)"
        case .noAnswer:
            return "\(learner) accepted the connection but did not answer in time (is it overloaded or stuck, or "
                + "is another service listening on port \(port)?)"
        case .cannotResolve:
            return "cannot resolve the learner host \(host) (check the name, or use its IP address)"
        case .handshakeFailed(let reason):
            return "TLS handshake with \(learner) failed: \(reason)"
        case .other(let text):
            return "the connection to \(learner) failed: \(text)"
        }
    }

    private var endpoint: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}

extension LearnerConnectionFailure.Kind {
    /// Whether trying again cannot help: the certificates or the transport of the two sides do not fit together
    /// (a refused worker certificate, a learner certificate this worker does not accept, a learner that does not
    /// speak TLS). Everything else — nothing listening yet, a reset, a timeout, a connection limit — may pass.
    public var isPermanent: Bool {
        switch self {
        case .workerCertificateRefused, .learnerCertificateNotValidForHost, .learnerCertificateUntrusted, .learnerNotTLS: true
        default: false
        }
    }
}
