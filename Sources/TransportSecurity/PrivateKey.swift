import COpenSSL

/// An ECDSA P-256 private key held by OpenSSL (an `EVP_PKEY`), freed with the last reference.
///
/// The run's certificates are issued and read with OpenSSL's libcrypto (Debian's libssl-dev) rather than
/// swift-certificates: that package brings swift-crypto, whose own copy of BoringSSL compiles next to NIOSSL's
/// in every build — about 5 of CI's minutes on two cores, for five functions of certificate issuance.
final class PrivateKey: @unchecked Sendable {
    // @unchecked: the key is never changed after it is made or read, and OpenSSL's reads of a key are thread-safe.
    let pointer: OpaquePointer

    private init(_ pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// A new P-256 key from OpenSSL's CSPRNG.
    static func generateP256() throws(TransportSecurityError) -> PrivateKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nil) else {
            throw .issuanceFailed(reason: "cannot make a key context: \(OpenSSLErrors.drain())")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1,
              EVP_PKEY_CTX_set_ec_paramgen_curve_nid(context, NID_X9_62_prime256v1) == 1,
              EVP_PKEY_keygen(context, &key) == 1, let key
        else { throw .issuanceFailed(reason: "cannot generate a P-256 key: \(OpenSSLErrors.drain())") }
        return PrivateKey(key)
    }

    /// The first private key in PEM text (PKCS#8 or SEC 1); nil with OpenSSL's reason when there is none.
    static func parse(pem text: String) -> Result<PrivateKey, OpenSSLFailure> {
        guard let key = MemoryBIO.reading(text, { ppo_read_private_key($0) }) else {
            return .failure(OpenSSLFailure(reason: OpenSSLErrors.drain()))
        }
        return .success(PrivateKey(key))
    }

    /// The key as unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    func pem() throws(TransportSecurityError) -> String {
        guard let text = MemoryBIO.text({ PEM_write_bio_PrivateKey($0, pointer, nil, nil, 0, nil, nil) }) else {
            throw .issuanceFailed(reason: "cannot encode the private key as PEM: \(OpenSSLErrors.drain())")
        }
        return text
    }

    /// Whether `certificate` carries this key's public half.
    func matches(_ certificate: X509Certificate) -> Bool {
        guard let publicKey = X509_get0_pubkey(certificate.pointer) else { return false }
        return EVP_PKEY_eq(pointer, publicKey) == 1
    }
}

/// OpenSSL refused an input; `reason` is what its error queue said.
struct OpenSSLFailure: Error {
    let reason: String
}
