import Foundation
import NIOSSL

/// A worker's side of mutual TLS: TLS 1.3 only, the run's CA as the only trust root, the worker's own certificate
/// and key, and full verification of the learner's certificate against the host the worker dials.
///
/// Under TLS 1.3 the worker's handshake completes before the learner has checked the worker's certificate: a
/// refused certificate shows up only at the first read or write. Wait for the learner's first message after
/// connecting, and turn any error into a sentence with ``LearnerConnectionFailure``.
public struct WorkerTLS: Sendable {
    /// The worker's name (its certificate's common name), or nil when built from NIOSSL objects directly.
    public let workerName: String?
    /// The NIOSSL configuration (for inspection; ``context`` is built from it once).
    public let configuration: TLSConfiguration
    /// The context shared by every connection of this worker.
    public let context: NIOSSLContext
    /// When the worker's certificate expires (nil when built from NIOSSL objects directly).
    public let notValidAfter: Date?

    /// The configuration from already-parsed material, without the consistency checks
    /// ``load(directory:certName:)`` does.
    public init(
        trustRoot: NIOSSLCertificate, certificateChain: [NIOSSLCertificate], privateKey: NIOSSLPrivateKey,
        workerName: String? = nil, notValidAfter: Date? = nil
    ) throws(TransportSecurityError) {
        var base = TLSConfiguration.makeClientConfiguration()
        base.certificateChain = certificateChain.map { .certificate($0) }
        base.privateKey = .privateKey(privateKey)
        (configuration, context) = try MutualTLS.configure(base, trustRoot: trustRoot, verification: .fullVerification)
        self.workerName = workerName
        self.notValidAfter = notValidAfter
    }

    /// Loads `ca.pem`, `CERTNAME.pem` and `CERTNAME-key.pem` from a bundle directory (only these three files need
    /// to be on a worker's host) and checks, before any connection, that they parse, belong together, are valid now,
    /// and that the certificate is a client certificate.
    public static func load(directory: URL, certName: String) throws(TransportSecurityError) -> WorkerTLS {
        try load(directory: directory, certName: certName, now: Date())
    }

    static func load(directory: URL, certName: String, now: Date) throws(TransportSecurityError) -> WorkerTLS {
        try CertificateBundle.validateWorkerName(certName)
        let certificateFile = CertificateBundle.workerCertificateFile(certName)
        let keyFile = CertificateBundle.workerKeyFile(certName)
        let hint = "a worker needs \(CertificateBundle.caCertificateFile), \(certificateFile) and \(keyFile) "
            + "from the bundle written by `ppo certs --out DIR --learner-host HOST --workers N` "
            + "(copy them into \(directory.path), or give the right --cert-name)"
        let material = try TLSMaterial.load(
            directory: directory, certificateFile: certificateFile, keyFile: keyFile,
            role: .worker, missingHint: hint, now: now)
        return try WorkerTLS(
            trustRoot: material.trustRoot, certificateChain: material.chain, privateKey: material.key,
            workerName: material.leaf.commonName ?? certName,
            notValidAfter: material.leaf.notValidAfter)
    }

    /// A new handler for one connection to the learner at `learnerHost` (the name or address the worker dials,
    /// exactly as given to connect). Put it first in the channel's pipeline.
    ///
    /// A DNS name is sent as SNI and must be one of the learner certificate's DNS names; for an IP address no SNI is
    /// sent and NIOSSL checks the connection's peer address against the certificate's IP addresses.
    public func makeClientHandler(learnerHost: String) throws(TransportSecurityError) -> NIOSSLClientHandler {
        let serverHostname = try Self.serverHostname(forDialling: learnerHost)
        do {
            return try NIOSSLClientHandler(context: context, serverHostname: serverHostname)
        } catch {
            throw .invalidHostForTLS(host: learnerHost, reason: String(describing: error))
        }
    }

    /// The SNI / verification name for a dialled host: the DNS name, or nil for an IP address.
    public static func serverHostname(forDialling host: String) throws(TransportSecurityError) -> String? {
        let address: HostAddress
        do {
            address = try HostAddress(parsing: host)
        } catch {
            throw .invalidHostForTLS(host: host, reason: "it is neither an IP address nor a valid DNS name")
        }
        if case .dnsName(let name) = address { return name }
        return nil
    }
}
