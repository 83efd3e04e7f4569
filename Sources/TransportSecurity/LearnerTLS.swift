import Foundation
import NIOSSL

/// The learner's side of mutual TLS: TLS 1.3 only, the learner's certificate and key, and the run's CA as the only
/// trust root for client certificates.
///
/// Every worker must present a certificate that chains to the run's CA (`certificateVerification:
/// .noHostnameVerification` makes a client certificate mandatory and verified; a worker is not dialled, so there
/// is no host name to check). A client without a certificate, with one from another CA, or speaking plaintext fails
/// the handshake.
public struct LearnerTLS: Sendable {
    /// The NIOSSL configuration (for inspection; ``context`` is built from it once).
    public let configuration: TLSConfiguration
    /// The context shared by every connection.
    public let context: NIOSSLContext
    /// The DNS names and IP addresses the learner's certificate is valid for (empty when built from NIOSSL
    /// objects directly).
    public let names: [String]
    /// When the learner's certificate expires (nil when built from NIOSSL objects directly).
    public let notValidAfter: Date?

    /// The configuration from already-parsed material, without the consistency checks ``load(directory:)`` does.
    public init(
        trustRoot: NIOSSLCertificate, certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
        names: [String] = [], notValidAfter: Date? = nil
    ) throws(TransportSecurityError) {
        let base = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: certificateChain.map { .certificate($0) },
            privateKey: .privateKey(privateKey),
            trustRoots: .certificates([trustRoot]))
        (configuration, context) = try MutualTLS.configure(base, trustRoot: trustRoot, verification: .noHostnameVerification)
        self.names = names
        self.notValidAfter = notValidAfter
    }

    /// Loads `ca.pem`, `learner.pem` and `learner-key.pem` from a bundle directory and checks, before any
    /// connection, that they parse, belong together (key ↔ certificate, certificate ← CA), are valid now, and that
    /// `learner.pem` is a server certificate. `ca-key.pem` is not needed (and is better kept off the learner).
    public static func load(directory: URL) throws(TransportSecurityError) -> LearnerTLS {
        try load(directory: directory, now: Date())
    }

    static func load(directory: URL, now: Date) throws(TransportSecurityError) -> LearnerTLS {
        let hint = "create the learner's TLS files with "
            + "`ppo certs --out \(directory.path) --learner-host HOST --workers N` "
            + "(HOST: every name or address workers dial)"
        let material = try TLSMaterial.load(
            directory: directory,
            certificateFile: CertificateBundle.learnerCertificateFile,
            keyFile: CertificateBundle.learnerKeyFile,
            role: .learner, missingHint: hint, now: now)
        return try LearnerTLS(
            trustRoot: material.trustRoot, certificateChain: material.chain, privateKey: material.key,
            names: material.leaf.subjectAlternativeNames,
            notValidAfter: material.leaf.notValidAfter)
    }

    /// A new handler for one accepted connection; put it first in the child channel's pipeline.
    public func makeServerHandler() -> NIOSSLServerHandler {
        NIOSSLServerHandler(context: context)
    }
}
