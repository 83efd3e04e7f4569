import Foundation

/// Which side of the connection a certificate is for.
public enum CertificateRole: String, Sendable {
    /// The learner: a TLS server certificate (extendedKeyUsage serverAuth, SANs = the names workers dial).
    case learner
    /// A worker: a TLS client certificate (extendedKeyUsage clientAuth, CN = the worker's name).
    case worker
}

/// Everything that can go wrong while issuing certificates, loading TLS material or applying the plaintext policy.
///
/// Each description is one sentence (or two) that says what happened and what to do about it, so an executable
/// can print it as it is. Failures of a live connection are ``LearnerConnectionFailure`` instead.
public enum TransportSecurityError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `ppo certs` was given no learner host name or address.
    case noLearnerHosts
    /// A learner host is neither an IPv4/IPv6 address nor a valid DNS name.
    case invalidLearnerHost(String, reason: String)
    /// The number of worker certificates to issue is below 1.
    case invalidWorkerCount(Int)
    /// The validity in days is below 1.
    case invalidValidity(days: Int)
    /// A worker name cannot be used as a certificate name / file name.
    case invalidWorkerName(String, reason: String)
    /// Files of a bundle already exist and overwriting was not asked for.
    case bundleExists(directory: String, existing: [String])
    /// A file already exists and overwriting was not asked for.
    case fileExists(path: String)
    /// The bundle directory could not be created.
    case cannotCreateDirectory(path: String, reason: String)
    /// A file could not be written.
    case cannotWrite(path: String, reason: String)
    /// A file that TLS needs does not exist; `hint` says how to create it.
    case missingFile(path: String, hint: String)
    /// A file exists but could not be read.
    case unreadableFile(path: String, reason: String)
    /// A file does not hold a usable PEM certificate.
    case invalidCertificate(path: String, reason: String)
    /// A file does not hold a usable PEM private key.
    case invalidPrivateKey(path: String, reason: String)
    /// A private key does not belong to the certificate it is paired with.
    case keyDoesNotMatchCertificate(keyPath: String, certificatePath: String)
    /// A certificate was not issued by the run's CA.
    case notSignedByCA(path: String, caPath: String)
    /// The CA file does not hold a CA certificate.
    case notACertificateAuthority(path: String)
    /// A certificate lacks the extended key usage its role needs (serverAuth for the learner, clientAuth for a worker).
    case wrongCertificatePurpose(path: String, expected: CertificateRole)
    /// A certificate's validity period has ended.
    case certificateExpired(path: String, notValidAfter: Date)
    /// A certificate's validity period has not started yet (usually a clock that is behind).
    case certificateNotYetValid(path: String, notValidBefore: Date)
    /// OpenSSL failed to build or sign a certificate.
    case issuanceFailed(reason: String)
    /// NIOSSL refused the TLS configuration.
    case tlsConfigurationFailed(reason: String)
    /// A host cannot be dialled with TLS (for example an invalid server name).
    case invalidHostForTLS(host: String, reason: String)
    /// Plaintext was asked for on an address that is not loopback.
    case plaintextNotLoopback(host: String, use: PlaintextPolicy.Use)

    public var description: String {
        switch self {
        case .noLearnerHosts:
            return "no learner host was given: pass every DNS name and IP address workers will dial, "
                + "e.g. --learner-host learner.example --learner-host 10.0.0.5"
        case .invalidLearnerHost(let host, let reason):
            return "learner host '\(host)' cannot go in a certificate: \(reason); give a DNS name "
                + "(letters, digits, '-', '.') or an IPv4/IPv6 address"
        case .invalidWorkerCount(let n):
            return "cannot issue \(n) worker certificates: the number of workers must be at least 1"
        case .invalidValidity(let days):
            return "a validity of \(days) days is not possible: give at least 1 day"
        case .invalidWorkerName(let name, let reason):
            return "'\(name)' cannot be a worker certificate name: \(reason); use letters, digits, '-', '_' and '.', "
                + "e.g. worker-4"
        case .bundleExists(let directory, let existing):
            return "\(directory) already holds a certificate bundle (\(existing.joined(separator: ", "))); "
                + "refusing to overwrite it: choose another directory or pass --force to replace it "
                + "(certificates issued from the old CA will stop working)"
        case .fileExists(let path):
            return "\(path) already exists; refusing to overwrite it: choose another name, or pass --force to replace "
                + "it (the old certificate stays valid until it expires; to revoke it, create a new bundle)"
        case .cannotCreateDirectory(let path, let reason):
            return "cannot create the directory \(path): \(reason); choose another directory"
        case .cannotWrite(let path, let reason):
            return "cannot write \(path): \(reason); check the directory's permissions and free space"
        case .missingFile(let path, let hint):
            return "\(path) does not exist: \(hint)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason); check its permissions"
        case .invalidCertificate(let path, let reason):
            return "\(path) does not hold a usable PEM certificate (\(reason)); recreate it with `ppo certs`"
        case .invalidPrivateKey(let path, let reason):
            return "\(path) does not hold a usable PEM private key (\(reason)); recreate it with `ppo certs`"
        case .keyDoesNotMatchCertificate(let keyPath, let certificatePath):
            return "the private key \(keyPath) does not belong to the certificate \(certificatePath); "
                + "copy both files from the same `ppo certs` run"
        case .notSignedByCA(let path, let caPath):
            return "\(path) was not issued by the CA in \(caPath) (it comes from another `ppo certs` run); "
                + "use the certificate and ca.pem of the same run, or issue a new one from this CA"
        case .notACertificateAuthority(let path):
            return "\(path) is not a CA certificate; it must be the ca.pem written by `ppo certs`"
        case .wrongCertificatePurpose(let path, let expected):
            switch expected {
            case .learner:
                return "\(path) is not a learner (TLS server) certificate; the learner uses learner.pem"
            case .worker:
                return "\(path) is not a worker (TLS client) certificate; a worker uses worker-N.pem "
                    + "(--cert-name worker-N)"
            }
        case .certificateExpired(let path, let date):
            return "\(path) expired on \(CertificateDate.text(date)); create a new bundle with `ppo certs --force` "
                + "and copy it to every host"
        case .certificateNotYetValid(let path, let date):
            return "\(path) is valid only from \(CertificateDate.text(date)); this machine's clock is behind "
                + "(check it with `date -u`, or sync it with NTP)"
        case .issuanceFailed(let reason):
            return "could not create a certificate: \(reason)"
        case .tlsConfigurationFailed(let reason):
            return "NIOSSL refused the TLS configuration: \(reason); recreate the files with `ppo certs`"
        case .invalidHostForTLS(let host, let reason):
            return "cannot dial '\(host)' with TLS: \(reason)"
        case .plaintextNotLoopback(let host, let use):
            switch use {
            case .listen:
                return "refusing to listen on \(host) without TLS: plaintext is allowed only on loopback "
                    + "(127.0.0.1, ::1, localhost); bind to 127.0.0.1, or drop --plaintext and use --tls-dir "
                    + "(create one with `ppo certs`)"
            case .connect:
                return "refusing to connect to \(host) without TLS: plaintext is allowed only to loopback "
                    + "(127.0.0.1, ::1, localhost); drop --plaintext and use --tls-dir (create one with `ppo certs`)"
            }
        }
    }
}
