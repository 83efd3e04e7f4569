import COpenSSL
import Foundation

/// A certificate with its private key, both ready to be written as PEM.
struct IssuedCertificate {
    let certificate: X509Certificate
    let privateKey: PrivateKey

    func certificatePEM() throws(TransportSecurityError) -> String { try certificate.pem() }

    func privateKeyPEM() throws(TransportSecurityError) -> String { try privateKey.pem() }
}

/// Builds the run's certificates with OpenSSL, every key ECDSA P-256, every serial number random
/// (159 bits from OpenSSL's CSPRNG).
enum CertificateIssuer {
    /// Certificates start being valid this long before "now", so that a host whose clock is a little behind the
    /// issuing machine's does not refuse a freshly issued certificate.
    static let clockSkewAllowance: TimeInterval = 5 * 60

    static let organization = "swift-ppo"

    /// A self-signed CA: basicConstraints CA (no intermediates below it), keyUsage keyCertSign + cRLSign.
    /// Its common name carries a random suffix so that the CAs of two runs are told apart in errors and logs.
    static func makeCA(validityDays: Int, now: Date = Date()) throws(TransportSecurityError) -> IssuedCertificate {
        let key = try PrivateKey.generateP256()
        let suffix = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        let builder = try CertificateBuilder(
            subject: [(NID_organizationName, organization), (NID_commonName, "ppo run CA \(suffix)")],
            publicKey: key, notValidBefore: now - clockSkewAllowance, notValidAfter: now + days(validityDays))
        try builder.addExtension(NID_basic_constraints, "critical,CA:TRUE,pathlen:0", issuer: nil)
        try builder.addExtension(NID_key_usage, "critical,keyCertSign,cRLSign", issuer: nil)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: nil)
        return IssuedCertificate(certificate: try builder.sign(issuer: nil, key: key), privateKey: key)
    }

    /// The learner's TLS server certificate: the given names as SANs (DNS or IP, exactly those), serverAuth.
    static func makeLearner(
        hosts: [HostAddress], ca: IssuedCertificate, validityDays: Int, now: Date = Date()
    ) throws(TransportSecurityError) -> IssuedCertificate {
        guard let first = hosts.first else { throw .noLearnerHosts }
        return try makeLeaf(
            commonName: "ppo learner \(first)", role: .learner, subjectAlternativeNames: hosts,
            ca: ca, validityDays: validityDays, now: now)
    }

    /// A worker's TLS client certificate: CN = the worker's name, clientAuth.
    static func makeWorker(
        name: String, ca: IssuedCertificate, validityDays: Int, now: Date = Date()
    ) throws(TransportSecurityError) -> IssuedCertificate {
        try makeLeaf(
            commonName: name, role: .worker, subjectAlternativeNames: [],
            ca: ca, validityDays: validityDays, now: now)
    }

    /// A leaf signed by `ca`. It never outlives the CA: a chain is valid only while every link is.
    private static func makeLeaf(
        commonName: String, role: CertificateRole, subjectAlternativeNames: [HostAddress],
        ca: IssuedCertificate, validityDays: Int, now: Date
    ) throws(TransportSecurityError) -> IssuedCertificate {
        let key = try PrivateKey.generateP256()
        let builder = try CertificateBuilder(
            subject: [(NID_organizationName, organization), (NID_commonName, commonName)], publicKey: key,
            notValidBefore: max(now - clockSkewAllowance, ca.certificate.notValidBefore),
            notValidAfter: min(now + days(validityDays), ca.certificate.notValidAfter))
        try builder.addExtension(NID_basic_constraints, "critical,CA:FALSE", issuer: ca.certificate)
        // ECDHE key exchange: the certificate's key only signs the handshake.
        try builder.addExtension(NID_key_usage, "critical,digitalSignature", issuer: ca.certificate)
        try builder.addExtension(
            NID_ext_key_usage, role == .learner ? "serverAuth" : "clientAuth", issuer: ca.certificate)
        try builder.addExtension(NID_subject_key_identifier, "hash", issuer: ca.certificate)
        try builder.addExtension(NID_authority_key_identifier, "keyid:always", issuer: ca.certificate)
        if !subjectAlternativeNames.isEmpty { try builder.addSubjectAlternativeNames(subjectAlternativeNames) }
        return IssuedCertificate(
            certificate: try builder.sign(issuer: ca.certificate, key: ca.privateKey), privateKey: key)
    }

    private static func days(_ n: Int) -> TimeInterval { TimeInterval(n) * 86_400 }
}
