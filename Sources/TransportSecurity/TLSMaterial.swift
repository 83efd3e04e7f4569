import Foundation
import NIOSSL

/// The CA, a leaf certificate (with any chain) and its key, read from a bundle directory, checked with
/// OpenSSL and parsed for NIOSSL.
struct TLSMaterial {
    let trustRoot: NIOSSLCertificate
    let chain: [NIOSSLCertificate]
    let key: NIOSSLPrivateKey
    let leaf: X509Certificate

    static func load(
        directory: URL, certificateFile: String, keyFile: String, role: CertificateRole, missingHint: String,
        now: Date
    ) throws(TransportSecurityError) -> TLSMaterial {
        let caURL = directory.appendingPathComponent(CertificateBundle.caCertificateFile)
        let certificateURL = directory.appendingPathComponent(certificateFile)
        let keyURL = directory.appendingPathComponent(keyFile)

        let ca = try CertificateFile.parseCertificate(at: caURL, missingHint: missingHint)
        try CertificateFile.checkIsCA(ca, path: caURL.path)
        try CertificateFile.checkValidity(ca, path: caURL.path, now: now)

        let leaf = try CertificateFile.parseCertificate(at: certificateURL, missingHint: missingHint)
        let key = try CertificateFile.parsePrivateKey(at: keyURL, missingHint: missingHint)
        guard key.matches(leaf) else {
            throw .keyDoesNotMatchCertificate(keyPath: keyURL.path, certificatePath: certificateURL.path)
        }
        try CertificateFile.checkIssued(leaf, path: certificateURL.path, by: ca, caPath: caURL.path)
        try CertificateFile.checkRole(leaf, path: certificateURL.path, role: role)
        try CertificateFile.checkValidity(leaf, path: certificateURL.path, now: now)

        return TLSMaterial(
            trustRoot: try nioCertificates(at: caURL)[0],
            chain: try nioCertificates(at: certificateURL),
            key: try nioPrivateKey(at: keyURL),
            leaf: leaf)
    }

    /// Every certificate in a PEM file, as NIOSSL reads it (at least one, or an error naming the file).
    static func nioCertificates(at url: URL) throws(TransportSecurityError) -> [NIOSSLCertificate] {
        let text = try PEMFiles.read(url, missingHint: "")
        do {
            let certificates = try NIOSSLCertificate.fromPEMBytes(Array(text.utf8))
            guard !certificates.isEmpty else {
                throw TransportSecurityError.invalidCertificate(path: url.path, reason: "no certificate in it")
            }
            return certificates
        } catch let error as TransportSecurityError {
            throw error
        } catch {
            throw .invalidCertificate(path: url.path, reason: "NIOSSL cannot read it: \(error)")
        }
    }

    static func nioPrivateKey(at url: URL) throws(TransportSecurityError) -> NIOSSLPrivateKey {
        let text = try PEMFiles.read(url, missingHint: "")
        do {
            return try NIOSSLPrivateKey(bytes: Array(text.utf8), format: .pem)
        } catch {
            throw .invalidPrivateKey(path: url.path, reason: "NIOSSL cannot read it: \(error)")
        }
    }
}
