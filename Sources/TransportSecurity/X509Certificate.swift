import COpenSSL
import Foundation

/// An X.509 certificate held by OpenSSL (an `X509`), freed with the last reference; what the run's checks read
/// from it. (Why OpenSSL and not swift-certificates: see ``PrivateKey``.)
final class X509Certificate: @unchecked Sendable {
    // @unchecked: the certificate is never changed after it is signed or read, and OpenSSL guards the one cache
    // its reads fill (the decoded extensions) with its own lock.
    let pointer: OpaquePointer

    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { X509_free(pointer) }

    /// The first certificate in PEM text; OpenSSL's reason when it cannot read one.
    static func parse(pem text: String) -> Result<X509Certificate, OpenSSLFailure> {
        guard let certificate = MemoryBIO.reading(text, { ppo_read_certificate($0) }) else {
            return .failure(OpenSSLFailure(reason: OpenSSLErrors.drain()))
        }
        return .success(X509Certificate(taking: certificate))
    }

    func pem() throws(TransportSecurityError) -> String {
        guard let text = MemoryBIO.text({ PEM_write_bio_X509($0, pointer) }) else {
            throw .issuanceFailed(reason: "cannot encode the certificate as PEM: \(OpenSSLErrors.drain())")
        }
        return text
    }

    var notValidBefore: Date { Self.date(X509_get0_notBefore(pointer)) }
    var notValidAfter: Date { Self.date(X509_get0_notAfter(pointer)) }

    /// basicConstraints says CA.
    var isCertificateAuthority: Bool { X509_get_extension_flags(pointer) & UInt32(EXFLAG_CA) != 0 }

    /// Whether the certificate may be used as `role`: its extendedKeyUsage names serverAuth (learner), clientAuth
    /// (worker) or anyExtendedKeyUsage; without that extension, for anything (RFC 5280 §4.2.1.12).
    func allows(_ role: CertificateRole) -> Bool {
        guard X509_get_extension_flags(pointer) & UInt32(EXFLAG_XKUSAGE) != 0 else { return true }
        let usages = X509_get_extended_key_usage(pointer)
        let needed = UInt32(role == .learner ? XKU_SSL_SERVER : XKU_SSL_CLIENT)
        return usages & (needed | UInt32(XKU_ANYEKU)) != 0
    }

    /// Whether `ca` issued this certificate: the issuer is the CA's subject and the CA's key verifies the signature.
    func isIssued(by ca: X509Certificate) -> Bool {
        guard X509_NAME_cmp(X509_get_issuer_name(pointer), X509_get_subject_name(ca.pointer)) == 0,
              let caKey = X509_get0_pubkey(ca.pointer)
        else { return false }
        let verified = X509_verify(pointer, caKey) == 1
        _ = OpenSSLErrors.drain()
        return verified
    }

    /// The DNS names and IP addresses of subjectAltName, in order.
    var subjectAlternativeNames: [String] {
        guard let names = ppo_subject_alt_names(pointer) else { return [] }
        defer { ppo_general_names_free(names) }
        return (0..<ppo_general_names_count(names)).compactMap { index in
            var bytes: UnsafePointer<UInt8>?
            var length: Int32 = 0
            let type = ppo_general_name_at(names, index, &bytes, &length)
            guard let bytes, length >= 0 else { return nil }
            let value = Array(UnsafeBufferPointer(start: bytes, count: Int(length)))
            switch (type, value.count) {
            case (GEN_DNS, _): return String(decoding: value, as: UTF8.self)
            case (GEN_IPADD, 4): return HostAddress.ipv4(value).description
            case (GEN_IPADD, 16): return HostAddress.ipv6(value).description
            default: return nil
            }
        }
    }

    /// The subject's common name (the first, as UTF-8), if it has one.
    var commonName: String? {
        let name = X509_get_subject_name(pointer)
        let index = X509_NAME_get_index_by_NID(name, NID_commonName, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
              let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { ppo_openssl_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func date(_ time: UnsafePointer<ASN1_TIME>?) -> Date {
        var parts = tm()
        guard let time, ASN1_TIME_to_tm(time, &parts) == 1 else { return .distantPast }
        return Date(timeIntervalSince1970: TimeInterval(timegm(&parts)))
    }
}
