import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate with its private key, both ready to be written as PEM.
struct IssuedCertificate {
    let certificate: Certificate
    let privateKey: Certificate.PrivateKey

    func certificatePEM() throws(TransportSecurityError) -> String {
        do { return try certificate.serializeAsPEM().pemString + "\n" } catch {
            throw .issuanceFailed(reason: "cannot encode the certificate as PEM: \(error)")
        }
    }

    func privateKeyPEM() throws(TransportSecurityError) -> String {
        do { return try privateKey.serializeAsPEM().pemString + "\n" } catch {
            throw .issuanceFailed(reason: "cannot encode the private key as PEM: \(error)")
        }
    }
}

/// Builds the run's certificates with swift-certificates, every key ECDSA P-256, every serial number random
/// (20 bytes from the system RNG).
enum CertificateIssuer {
    /// Certificates start being valid this long before "now", so that a host whose clock is a little behind the
    /// issuing machine's does not refuse a freshly issued certificate.
    static let clockSkewAllowance: TimeInterval = 5 * 60

    static let organization = "swift-ppo"

    /// A self-signed CA: basicConstraints CA (no intermediates below it), keyUsage keyCertSign + cRLSign.
    /// Its common name carries a random suffix so that the CAs of two runs are told apart in errors and logs.
    static func makeCA(validityDays: Int, now: Date = Date()) throws(TransportSecurityError) -> IssuedCertificate {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let suffix = (0..<4).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
        return try wrap {
            let name = try DistinguishedName {
                OrganizationName(organization)
                CommonName("ppo run CA \(suffix)")
            }
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: key.publicKey)
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: now - clockSkewAllowance, notValidAfter: now + days(validityDays),
                issuer: name, subject: name, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: key)
            return IssuedCertificate(certificate: certificate, privateKey: key)
        }
    }

    /// The learner's TLS server certificate: the given names as SANs (DNS or IP, exactly those), serverAuth.
    static func makeLearner(
        hosts: [HostAddress], ca: IssuedCertificate, validityDays: Int, now: Date = Date()
    ) throws(TransportSecurityError) -> IssuedCertificate {
        guard let first = hosts.first else { throw .noLearnerHosts }
        let names: [GeneralName] = hosts.map { host in
            switch host {
            case .ipv4(let bytes), .ipv6(let bytes): .ipAddress(ASN1OctetString(contentBytes: bytes[...]))
            case .dnsName(let name): .dnsName(name)
            }
        }
        return try makeLeaf(
            commonName: "ppo learner \(first)", usage: .serverAuth, subjectAlternativeNames: names,
            ca: ca, validityDays: validityDays, now: now)
    }

    /// A worker's TLS client certificate: CN = the worker's name, clientAuth.
    static func makeWorker(
        name: String, ca: IssuedCertificate, validityDays: Int, now: Date = Date()
    ) throws(TransportSecurityError) -> IssuedCertificate {
        try makeLeaf(
            commonName: name, usage: .clientAuth, subjectAlternativeNames: nil,
            ca: ca, validityDays: validityDays, now: now)
    }

    /// A leaf signed by `ca`. It never outlives the CA: a chain is valid only while every link is.
    private static func makeLeaf(
        commonName: String, usage: ExtendedKeyUsage.Usage, subjectAlternativeNames: [GeneralName]?,
        ca: IssuedCertificate, validityDays: Int, now: Date
    ) throws(TransportSecurityError) -> IssuedCertificate {
        let key = Certificate.PrivateKey(P256.Signing.PrivateKey())
        let notValidAfter = min(now + days(validityDays), ca.certificate.notValidAfter)
        let notValidBefore = max(now - clockSkewAllowance, ca.certificate.notValidBefore)
        return try wrap {
            let subject = try DistinguishedName {
                OrganizationName(organization)
                CommonName(commonName)
            }
            let authorityKeyID = try ca.certificate.extensions.subjectKeyIdentifier?.keyIdentifier
            let extensions = try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                // ECDHE key exchange: the certificate's key only signs the handshake.
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([usage])
                SubjectKeyIdentifier(hash: key.publicKey)
                AuthorityKeyIdentifier(keyIdentifier: authorityKeyID)
                if let subjectAlternativeNames {
                    SubjectAlternativeNames(subjectAlternativeNames)
                }
            }
            let certificate = try Certificate(
                version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: key.publicKey,
                notValidBefore: notValidBefore, notValidAfter: notValidAfter,
                issuer: ca.certificate.subject, subject: subject, signatureAlgorithm: .ecdsaWithSHA256,
                extensions: extensions, issuerPrivateKey: ca.privateKey)
            return IssuedCertificate(certificate: certificate, privateKey: key)
        }
    }

    private static func days(_ n: Int) -> TimeInterval { TimeInterval(n) * 86_400 }

    private static func wrap<T>(_ body: () throws -> T) throws(TransportSecurityError) -> T {
        do { return try body() } catch let error as TransportSecurityError { throw error } catch {
            throw .issuanceFailed(reason: String(describing: error))
        }
    }
}
