import ArgumentParser
import TransportSecurity

extension LearnerAddress {
    /// `--learner HOST:PORT` as ArgumentParser reads it (`@Option(transform: LearnerAddress.argument)`): one
    /// sentence with examples when it is not an address.
    public static func argument(_ text: String) throws -> LearnerAddress {
        guard let address = LearnerAddress(text) else {
            throw ValidationError("--learner must be HOST:PORT with a port of 1–65535, e.g. 127.0.0.1:9000, learner.example:9000 or [::1]:9000 (got '\(text)')")
        }
        return address
    }
}
