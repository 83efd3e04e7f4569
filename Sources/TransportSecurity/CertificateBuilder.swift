import COpenSSL
import Foundation

/// One certificate being put together with OpenSSL: version 3, a random serial, validity, names, key,
/// extensions, then the issuer's signature (ECDSA with SHA-256). Every step that OpenSSL refuses throws
/// ``TransportSecurityError/issuanceFailed(reason:)`` with OpenSSL's reason.
final class CertificateBuilder {
    private let certificate: OpaquePointer

    init(subject: [(nid: Int32, value: String)], publicKey: PrivateKey, notValidBefore: Date, notValidAfter: Date)
        throws(TransportSecurityError)
    {
        guard let certificate = X509_new() else { throw Self.failure("cannot allocate a certificate") }
        self.certificate = certificate
        guard X509_set_version(certificate, Int(X509_VERSION_3)) == 1 else { throw Self.failure("cannot set the version") }
        try setRandomSerial()
        guard ASN1_TIME_set(X509_getm_notBefore(certificate), time_t(notValidBefore.timeIntervalSince1970)) != nil,
              ASN1_TIME_set(X509_getm_notAfter(certificate), time_t(notValidAfter.timeIntervalSince1970)) != nil
        else { throw Self.failure("cannot set the validity") }
        guard let name = X509_NAME_new() else { throw Self.failure("cannot allocate a name") }
        defer { X509_NAME_free(name) }
        for entry in subject where ppo_name_add_utf8(name, entry.nid, entry.value) != 1 {
            throw Self.failure("cannot add \(entry.value) to the subject")
        }
        guard X509_set_subject_name(certificate, name) == 1, X509_set_pubkey(certificate, publicKey.pointer) == 1
        else { throw Self.failure("cannot set the subject and its key") }
    }

    deinit { X509_free(certificate) }

    /// 20 bytes with the top bit clear and the next one set (a positive 159-bit number, RFC 5280 §4.1.2.2).
    private func setRandomSerial() throws(TransportSecurityError) {
        guard let number = BN_new() else { throw Self.failure("cannot allocate the serial number") }
        defer { BN_free(number) }
        guard BN_rand(number, 159, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1,
              BN_to_ASN1_INTEGER(number, X509_get_serialNumber(certificate)) != nil
        else { throw Self.failure("cannot set a random serial number") }
    }

    /// Adds an extension written in OpenSSL's configuration syntax (`critical,CA:TRUE,pathlen:0`), resolved
    /// against the issuer (`keyid:always` of authorityKeyIdentifier) and this certificate (`hash`).
    func addExtension(_ nid: Int32, _ value: String, issuer: X509Certificate?) throws(TransportSecurityError) {
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.pointer ?? certificate, certificate, nil, nil, 0)
        guard let ext = X509V3_EXT_conf_nid(nil, &context, nid, value) else {
            throw Self.failure("cannot make the extension \(value)")
        }
        defer { X509_EXTENSION_free(ext) }
        guard X509_add_ext(certificate, ext, -1) == 1 else { throw Self.failure("cannot add the extension \(value)") }
    }

    /// Adds subjectAltName with exactly these DNS names and IP addresses (built as values, never parsed from text).
    func addSubjectAlternativeNames(_ hosts: [HostAddress]) throws(TransportSecurityError) {
        guard let names = ppo_general_names_new() else { throw Self.failure("cannot allocate the names") }
        defer { ppo_general_names_free(names) }
        for host in hosts {
            let (type, bytes): (Int32, [UInt8]) = switch host {
            case .ipv4(let address), .ipv6(let address): (GEN_IPADD, address)
            case .dnsName(let name): (GEN_DNS, Array(name.utf8))
            }
            guard ppo_general_names_add(names, type, bytes, Int32(bytes.count)) == 1 else {
                throw Self.failure("cannot add \(host) to the subject alternative names")
            }
        }
        guard X509_add1_ext_i2d(certificate, NID_subject_alt_name, UnsafeMutableRawPointer(names), 0,
                                UInt(X509V3_ADD_DEFAULT)) == 1
        else { throw Self.failure("cannot add the subject alternative names") }
    }

    /// Signs as `issuer` (its subject becomes this certificate's issuer; nil: self-signed) with `key`.
    func sign(issuer: X509Certificate?, key: PrivateKey) throws(TransportSecurityError) -> X509Certificate {
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? X509_get_subject_name(certificate)
        guard X509_set_issuer_name(certificate, issuerName) == 1 else { throw Self.failure("cannot set the issuer") }
        guard X509_sign(certificate, key.pointer, EVP_sha256()) > 0 else { throw Self.failure("cannot sign") }
        guard X509_up_ref(certificate) == 1 else { throw Self.failure("cannot keep the certificate") }
        return X509Certificate(taking: certificate)
    }

    private static func failure(_ what: String) -> TransportSecurityError {
        .issuanceFailed(reason: "\(what): \(OpenSSLErrors.drain())")
    }
}
