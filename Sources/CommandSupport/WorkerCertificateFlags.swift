import ArgumentParser
import Foundation
import TransportSecurity

/// `--tls-dir` and `--cert-name`: the worker certificate a connection to the learner presents, for `ppo-worker`
/// and `ppo flood`.
public struct WorkerCertificateFlags: ParsableArguments {
    @Option(help: "Folder with ca.pem and the worker certificates and keys (from `ppo certs`).")
    public var tlsDir: String?

    @Option(help: "Which worker certificate of --tls-dir to present: NAME.pem and NAME-key.pem.")
    public var certName = "worker-1"

    public init() {}

    /// The TLS configuration, or nil without --tls-dir (plaintext, loopback only).
    public func load() throws -> WorkerTLS? {
        try tlsDir.map { try WorkerTLS.load(directory: URL(fileURLWithPath: $0), certName: certName) }
    }
}
