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

/// How an error raised while connecting, handshaking or reading the learner's first message maps to a
/// ``LearnerConnectionFailure/Kind`` (from the errors observed on real loopback connections: see
/// `TransportSecurityTests`).
extension LearnerConnectionFailure {
    static func classify(_ error: any Error) -> Kind {
        if let failure = error as? LearnerConnectionFailure { return failure.kind }
        if let extra = error as? NIOSSLExtraError {
            if extra == .failedToValidateHostname { return .learnerCertificateNotValidForHost }
            return .handshakeFailed(String(describing: extra))
        }
        if let ssl = error as? NIOSSLError {
            switch ssl {
            case .handshakeFailed(let boring):
                return classify(boring, duringHandshake: true)
            case .uncleanShutdown:
                return .connectionClosed
            case .noCertificateToValidate, .unableToValidateCertificate:
                return .learnerCertificateUntrusted
            default:
                return .handshakeFailed(String(describing: ssl))
            }
        }
        if let boring = error as? BoringSSLError { return classify(boring, duringHandshake: false) }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty, connection.dnsAError != nil || connection.dnsAAAAError != nil {
                return .cannotResolve
            }
            if let first = connection.connectionErrors.first { return classify(first.error) }
            return .other(String(describing: connection))
        }
        if let channel = error as? ChannelError {
            switch channel {
            case .connectTimeout: return .connectTimeout
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed: return .connectionClosed
            default: return .other(String(describing: channel))
            }
        }
        if let io = error as? IOError {
            switch io.errnoCode {
            case ECONNREFUSED: return .connectionRefused
            case ECONNRESET, EPIPE: return .connectionClosed
            case ETIMEDOUT: return .connectTimeout
            default: return .other(String(describing: io))
            }
        }
        return .other(String(describing: error))
    }

    private static func classify(_ error: BoringSSLError, duringHandshake: Bool) -> Kind {
        let stack: NIOBoringSSLErrorStack
        switch error {
        case .sslError(let s), .unknownError(let s), .invalidSNIName(let s), .failedToSetALPN(let s): stack = s
        case .zeroReturn, .syscallError: return duringHandshake ? .closedDuringHandshake : .connectionClosed
        default: return .handshakeFailed(String(describing: error))
        }
        if stack.contains(.eofDuringHandshake) { return .closedDuringHandshake }
        let reasons = stack.map(reasonName)
        for reason in reasons {
            switch reason {
            case "TLSV1_ALERT_CERTIFICATE_REQUIRED", "PEER_DID_NOT_RETURN_A_CERTIFICATE":
                return .workerCertificateRefused(.noCertificate)
            case "TLSV1_ALERT_UNKNOWN_CA":
                return .workerCertificateRefused(.unknownCA)
            case "SSLV3_ALERT_CERTIFICATE_EXPIRED":
                return .workerCertificateRefused(.expired)
            case "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE":
                return .workerCertificateRefused(.notAClientCertificate)
            case "SSLV3_ALERT_BAD_CERTIFICATE", "SSLV3_ALERT_CERTIFICATE_UNKNOWN", "SSLV3_ALERT_CERTIFICATE_REVOKED",
                 "TLSV1_ALERT_ACCESS_DENIED", "TLSV1_ALERT_DECRYPT_ERROR":
                return .workerCertificateRefused(.other(reason))
            case "CERTIFICATE_VERIFY_FAILED":
                return .learnerCertificateUntrusted
            case "WRONG_VERSION_NUMBER", "HTTP_REQUEST", "HTTPS_PROXY_REQUEST", "ENCRYPTED_LENGTH_TOO_LONG",
                 "RECORD_TOO_LARGE":
                return .learnerNotTLS
            default:
                continue
            }
        }
        return .handshakeFailed(reasons.first ?? String(describing: error))
    }

    /// BoringSSL's reason name from an error line such as
    /// `Error: 268436504 error:10000418:SSL routines:OPENSSL_internal:TLSV1_ALERT_UNKNOWN_CA at …/tls_record.cc:491`.
    static func reasonName(_ error: BoringSSLInternalError) -> String {
        let text = error.description
        let beforeLocation = text.range(of: " at ").map { String(text[..<$0.lowerBound]) } ?? text
        let name = beforeLocation.split(separator: ":").last.map(String.init) ?? beforeLocation
        return name.trimmingCharacters(in: .whitespaces)
    }
}
