import Foundation
import SwiftASN1
import X509

/// Parsing and checking one PEM file with swift-certificates, so that a wrong file is named before any
/// connection is attempted (a TLS peer would only say "handshake failure").
enum CertificateFile {
    /// The first certificate in the file (a file may hold a chain; the leaf comes first).
    static func parseCertificate(at url: URL, missingHint: String) throws(TransportSecurityError) -> Certificate {
        let text = try PEMFiles.read(url, missingHint: missingHint)
        do {
            let documents = try PEMDocument.parseMultiple(pemString: text)
            guard let first = documents.first else {
                throw TransportSecurityError.invalidCertificate(path: url.path, reason: "no PEM block in it")
            }
            guard first.discriminator == "CERTIFICATE" else {
                throw TransportSecurityError.invalidCertificate(
                    path: url.path, reason: "it holds a \(first.discriminator), not a CERTIFICATE")
            }
            return try Certificate(pemDocument: first)
        } catch let error as TransportSecurityError {
            throw error
        } catch {
            throw .invalidCertificate(path: url.path, reason: String(describing: error))
        }
    }

    static func parsePrivateKey(
        at url: URL, missingHint: String
    ) throws(TransportSecurityError) -> Certificate.PrivateKey {
        let text = try PEMFiles.read(url, missingHint: missingHint)
        do {
            return try Certificate.PrivateKey(pemEncoded: text)
        } catch {
            throw .invalidPrivateKey(path: url.path, reason: String(describing: error))
        }
    }

    static func checkIsCA(_ certificate: Certificate, path: String) throws(TransportSecurityError) {
        guard case .isCertificateAuthority = try? certificate.extensions.basicConstraints else {
            throw .notACertificateAuthority(path: path)
        }
    }

    static func checkValidity(_ certificate: Certificate, path: String, now: Date) throws(TransportSecurityError) {
        if now > certificate.notValidAfter {
            throw .certificateExpired(path: path, notValidAfter: certificate.notValidAfter)
        }
        if now < certificate.notValidBefore {
            throw .certificateNotYetValid(path: path, notValidBefore: certificate.notValidBefore)
        }
    }

    static func checkIssued(
        _ certificate: Certificate, path: String, by ca: Certificate, caPath: String
    ) throws(TransportSecurityError) {
        guard certificate.issuer == ca.subject,
              ca.publicKey.isValidSignature(certificate.signature, for: certificate)
        else { throw .notSignedByCA(path: path, caPath: caPath) }
    }

    static func checkRole(_ certificate: Certificate, path: String, role: CertificateRole) throws(TransportSecurityError) {
        let usage: ExtendedKeyUsage.Usage = role == .learner ? .serverAuth : .clientAuth
        // A leaf without extendedKeyUsage may be used for anything (RFC 5280 §4.2.1.12); ours always have one.
        guard let usages = try? certificate.extensions.extendedKeyUsage else { return }
        guard usages.contains(usage) || usages.contains(.any) else {
            throw .wrongCertificatePurpose(path: path, expected: role)
        }
    }

    /// The DNS names and IP addresses a learner certificate is valid for.
    static func subjectAlternativeNames(of certificate: Certificate) -> [String] {
        guard let names = try? certificate.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { name in
            switch name {
            case .dnsName(let dns): return dns
            case .ipAddress(let octets):
                let bytes = Array(octets.bytes)
                switch bytes.count {
                case 4: return HostAddress.ipv4(bytes).description
                case 16: return HostAddress.ipv6(bytes).description
                default: return nil
                }
            default: return nil
            }
        }
    }

    static func commonName(of certificate: Certificate) -> String? {
        for rdn in certificate.subject {
            for attribute in rdn where attribute.type == .RDNAttributeType.commonName {
                if let text = String(attribute.value) { return text }
                return attribute.value.description
            }
        }
        return nil
    }
}
