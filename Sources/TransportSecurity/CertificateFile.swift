import Foundation

/// Parsing and checking one PEM file with OpenSSL, so that a wrong file is named before any connection is
/// attempted (a TLS peer would only say "handshake failure").
enum CertificateFile {
    /// The first certificate in the file (a file may hold a chain; the leaf comes first).
    static func parseCertificate(at url: URL, missingHint: String) throws(TransportSecurityError) -> X509Certificate {
        let text = try PEMFiles.read(url, missingHint: missingHint)
        guard let label = firstLabel(in: text) else {
            throw .invalidCertificate(path: url.path, reason: "no PEM block in it")
        }
        guard label == "CERTIFICATE" else {
            throw .invalidCertificate(path: url.path, reason: "it holds a \(label), not a CERTIFICATE")
        }
        switch X509Certificate.parse(pem: text) {
        case .success(let certificate): return certificate
        case .failure(let failure): throw .invalidCertificate(path: url.path, reason: failure.reason)
        }
    }

    static func parsePrivateKey(at url: URL, missingHint: String) throws(TransportSecurityError) -> PrivateKey {
        let text = try PEMFiles.read(url, missingHint: missingHint)
        switch PrivateKey.parse(pem: text) {
        case .success(let key): return key
        case .failure(let failure): throw .invalidPrivateKey(path: url.path, reason: failure.reason)
        }
    }

    /// The label of the first PEM block (`CERTIFICATE` for `-----BEGIN CERTIFICATE-----`), if there is one.
    static func firstLabel(in text: String) -> String? {
        guard let begin = text.range(of: "-----BEGIN ") else { return nil }
        let rest = text[begin.upperBound...]
        guard let end = rest.range(of: "-----") else { return nil }
        return String(rest[..<end.lowerBound])
    }

    static func checkIsCA(_ certificate: X509Certificate, path: String) throws(TransportSecurityError) {
        guard certificate.isCertificateAuthority else { throw .notACertificateAuthority(path: path) }
    }

    static func checkValidity(_ certificate: X509Certificate, path: String, now: Date) throws(TransportSecurityError) {
        if now > certificate.notValidAfter {
            throw .certificateExpired(path: path, notValidAfter: certificate.notValidAfter)
        }
        if now < certificate.notValidBefore {
            throw .certificateNotYetValid(path: path, notValidBefore: certificate.notValidBefore)
        }
    }

    static func checkIssued(
        _ certificate: X509Certificate, path: String, by ca: X509Certificate, caPath: String
    ) throws(TransportSecurityError) {
        guard certificate.isIssued(by: ca) else { throw .notSignedByCA(path: path, caPath: caPath) }
    }

    static func checkRole(
        _ certificate: X509Certificate, path: String, role: CertificateRole
    ) throws(TransportSecurityError) {
        guard certificate.allows(role) else { throw .wrongCertificatePurpose(path: path, expected: role) }
    }
}
