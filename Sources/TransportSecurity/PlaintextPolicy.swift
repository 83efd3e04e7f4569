/// When a connection may go without TLS: only on loopback (127.0.0.0/8, ::1, the name `localhost`).
///
/// `--plaintext` exists for one-machine runs and debugging. Anything that can leave the machine — including the
/// wildcard bind addresses `0.0.0.0` and `::`, which listen on every interface — is refused, so plaintext can never
/// be switched on for a real network by accident. The rule looks at the text the user gave, not at what a name
/// resolves to: only `localhost` itself is trusted to stay on the machine.
public enum PlaintextPolicy {
    /// What the plaintext address is used for (it only changes the wording of the error).
    public enum Use: Sendable, Equatable {
        /// The learner binds (listens on) the address.
        case listen
        /// A worker connects to the address.
        case connect
    }

    /// Returns normally when plaintext is allowed on `host`; otherwise throws
    /// ``TransportSecurityError/plaintextNotLoopback(host:use:)``.
    public static func check(host: String, use: Use) throws(TransportSecurityError) {
        guard allows(host: host) else { throw .plaintextNotLoopback(host: host, use: use) }
    }

    /// Whether plaintext is allowed on `host` (a loopback address or `localhost`).
    public static func allows(host: String) -> Bool {
        guard let address = try? HostAddress(parsing: host) else { return false }
        return address.isLoopback
    }
}
