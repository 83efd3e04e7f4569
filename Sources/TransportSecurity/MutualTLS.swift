import NIOSSL

/// What both sides of the run's mutual TLS set alike: TLS 1.3 only, the run's CA as the only trust root (no system
/// roots), how the peer's certificate is verified, and the NIOSSL context built once from that configuration.
enum MutualTLS {
    static func configure(
        _ base: TLSConfiguration, trustRoot: NIOSSLCertificate, verification: CertificateVerification
    ) throws(TransportSecurityError) -> (TLSConfiguration, NIOSSLContext) {
        var configuration = base
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.trustRoots = .certificates([trustRoot])
        configuration.additionalTrustRoots = []
        configuration.certificateVerification = verification
        do {
            return (configuration, try NIOSSLContext(configuration: configuration))
        } catch {
            throw .tlsConfigurationFailed(reason: String(describing: error))
        }
    }
}
