// OpenSSL's libcrypto (Debian: libssl-dev), for issuing and reading the run's X.509 certificates.
// The helpers below wrap what Swift cannot call directly: macros (BIO_get_mem_data, OPENSSL_free,
// MBSTRING_UTF8) and the typed stacks of GENERAL_NAME.
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/// The bytes a memory BIO holds: their length, and `*data` pointing at them (owned by the BIO).
static inline long ppo_bio_contents(BIO *bio, char **data) { return BIO_get_mem_data(bio, data); }

static inline void ppo_openssl_free(void *pointer) { OPENSSL_free(pointer); }

/// Appends `NID = value` (UTF-8) to a distinguished name; 1 on success.
static inline int ppo_name_add_utf8(X509_NAME *name, int nid, const char *value) {
    return X509_NAME_add_entry_by_NID(name, nid, MBSTRING_UTF8, (const unsigned char *)value, -1, -1, 0);
}

/// Never asks for a password: an encrypted key fails to load instead of prompting on the terminal.
static inline int ppo_no_password(char *buffer, int size, int rwflag, void *context) {
    (void)buffer; (void)size; (void)rwflag; (void)context;
    return 0;
}

static inline EVP_PKEY *ppo_read_private_key(BIO *bio) {
    return PEM_read_bio_PrivateKey(bio, NULL, ppo_no_password, NULL);
}

static inline X509 *ppo_read_certificate(BIO *bio) {
    return PEM_read_bio_X509(bio, NULL, ppo_no_password, NULL);
}

static inline GENERAL_NAMES *ppo_general_names_new(void) { return sk_GENERAL_NAME_new_null(); }

static inline void ppo_general_names_free(GENERAL_NAMES *names) { GENERAL_NAMES_free(names); }

/// Appends a dNSName (`type` GEN_DNS, ASCII) or an iPAddress (`type` GEN_IPADD, 4 or 16 bytes); 1 on success.
static inline int ppo_general_names_add(GENERAL_NAMES *names, int type, const unsigned char *bytes, int length) {
    ASN1_STRING *value = type == GEN_DNS ? ASN1_IA5STRING_new() : ASN1_OCTET_STRING_new();
    if (value == NULL) return 0;
    if (!ASN1_STRING_set(value, bytes, length)) { ASN1_STRING_free(value); return 0; }
    GENERAL_NAME *name = GENERAL_NAME_new();
    if (name == NULL) { ASN1_STRING_free(value); return 0; }
    GENERAL_NAME_set0_value(name, type, value);
    if (!sk_GENERAL_NAME_push(names, name)) { GENERAL_NAME_free(name); return 0; }
    return 1;
}

/// The certificate's subjectAltName extension, decoded (NULL when it has none); free with ppo_general_names_free.
static inline GENERAL_NAMES *ppo_subject_alt_names(const X509 *certificate) {
    return X509_get_ext_d2i(certificate, NID_subject_alt_name, NULL, NULL);
}

static inline int ppo_general_names_count(const GENERAL_NAMES *names) { return sk_GENERAL_NAME_num(names); }

/// The type of the i-th name (GEN_DNS, GEN_IPADD, …); for those two, `*bytes` and `*length` its value.
static inline int ppo_general_name_at(const GENERAL_NAMES *names, int index, const unsigned char **bytes, int *length) {
    const GENERAL_NAME *name = sk_GENERAL_NAME_value(names, index);
    const ASN1_STRING *value = NULL;
    if (name->type == GEN_DNS) value = name->d.dNSName;
    else if (name->type == GEN_IPADD) value = name->d.iPAddress;
    else return name->type;
    *bytes = ASN1_STRING_get0_data(value);
    *length = ASN1_STRING_length(value);
    return name->type;
}
