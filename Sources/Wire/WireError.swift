/// A protocol error, with the code of `Protocol/PROTOCOL.md` §7 and what was wrong. Nothing from a frame that
/// raised one is delivered.
public struct WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The error codes of PROTOCOL.md §7 (their raw values go on the wire in `Error` messages).
    public enum Code: UInt16, Sendable, CaseIterable {
        case truncated = 1
        case badMagic = 2
        case unsupportedVersion = 3
        case unknownMessageType = 4
        case badFlags = 5
        case frameTooLarge = 6
        case decodedTooLarge = 7
        case checksumMismatch = 8
        case decompressionFailed = 9
        case malformedPayload = 10
        case invalidValue = 11
        case shapeMismatch = 12
        case actionOutOfRange = 13
        case unexpectedMessage = 14
        case ungrantedBatch = 15
        case grantExceeded = 16
        case invalidVersion = 17
        case envMismatch = 18
        case timeout = 19
        case tooManyConnections = 20
        case shuttingDown = 21
        /// The worker's environment failed (raised, died, hung, returned NaN); its open grants go to others.
        case environmentFailed = 22
    }

    public var code: Code
    /// What exactly was wrong, for the log line and the peer.
    public var detail: String

    public init(_ code: Code, _ detail: String) {
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(code) (\(code.rawValue)): \(detail)" }

    /// Whether this is the decoder's TLS-versus-plaintext mismatch (`Frame.tlsMismatch`), which no retry fixes.
    public var isTLSMismatch: Bool { code == .badMagic && detail == Frame.tlsMismatch }
}
