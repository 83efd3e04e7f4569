#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A host as a user writes it: an IPv4 address, an IPv6 address (optionally in brackets) or a DNS name.
///
/// Certificates name the learner by DNS names and IP addresses (different SAN types), and NIOSSL verifies them
/// differently (SNI + DNS SAN for a name, the peer's socket address + IP SAN for an address), so every place that
/// takes a host parses it once into this type.
public enum HostAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes, network order.
    case ipv4([UInt8])
    /// 16 bytes, network order.
    case ipv6([UInt8])
    /// A DNS name, lowercased, without a trailing dot.
    case dnsName(String)

    /// Parses `text`. Throws ``TransportSecurityError/invalidLearnerHost(_:reason:)`` when it is neither an
    /// address nor a syntactically valid DNS name (RFC 1123 labels; an all-numeric last label is refused because
    /// it is a mistyped address, e.g. `10.0.5`).
    public init(parsing text: String) throws(TransportSecurityError) {
        let trimmed = text.trimmingWhitespace()
        if let v4 = Self.parseIPv4(trimmed) {
            self = .ipv4(v4)
            return
        }
        var unbracketed = Substring(trimmed)
        if unbracketed.hasPrefix("["), unbracketed.hasSuffix("]") {
            unbracketed = unbracketed.dropFirst().dropLast()
        }
        if let v6 = Self.parseIPv6(String(unbracketed)) {
            self = .ipv6(v6)
            return
        }
        self = .dnsName(try Self.validateDNSName(trimmed, original: text))
    }

    /// The address or name as it goes into messages and certificates (`10.0.0.5`, `::1`, `learner.example`).
    public var description: String {
        switch self {
        case .ipv4(let bytes): return Self.format(bytes, family: AF_INET)
        case .ipv6(let bytes): return Self.format(bytes, family: AF_INET6)
        case .dnsName(let name): return name
        }
    }

    /// Whether this is a loopback host: 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104, or the name `localhost`.
    ///
    /// Only the name `localhost` itself counts: another name might resolve anywhere, whatever it resolves to today.
    public var isLoopback: Bool {
        switch self {
        case .ipv4(let bytes):
            return bytes[0] == 127
        case .ipv6(let bytes):
            if bytes == [UInt8](repeating: 0, count: 15) + [1] { return true }
            let v4Mapped = [UInt8](repeating: 0, count: 10) + [0xFF, 0xFF]
            return Array(bytes[0..<12]) == v4Mapped && bytes[12] == 127
        case .dnsName(let name):
            return name == "localhost"
        }
    }

    /// True for an IPv4 or IPv6 address.
    public var isIPAddress: Bool {
        if case .dnsName = self { return false }
        return true
    }

    // MARK: - Parsing

    static func parseIPv4(_ text: String) -> [UInt8]? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        var address = in6_addr()
        guard inet_pton(AF_INET6, text, &address) == 1 else { return nil }
        return withUnsafeBytes(of: &address) { Array($0) }
    }

    static func format(_ bytes: [UInt8], family: Int32) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok = bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out in
                inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) != nil
            }
        }
        guard ok else { return bytes.map(String.init).joined(separator: ".") }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    static func validateDNSName(_ text: String, original: String) throws(TransportSecurityError) -> String {
        var name = text.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        func refuse(_ reason: String) -> TransportSecurityError { .invalidLearnerHost(original, reason: reason) }
        guard !name.isEmpty else { throw refuse("it is empty") }
        guard name.utf8.count <= 253 else { throw refuse("a DNS name has at most 253 characters") }
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        for label in labels {
            guard !label.isEmpty else { throw refuse("it has an empty label (two dots in a row?)") }
            guard label.utf8.count <= 63 else { throw refuse("the label '\(label)' is longer than 63 characters") }
            guard label.utf8.allSatisfy({ $0.isLetterDigitOrHyphen }) else {
                throw refuse("'\(label)' has a character other than a letter, a digit or '-'")
            }
            guard label.first != "-", label.last != "-" else {
                throw refuse("the label '\(label)' starts or ends with '-'")
            }
        }
        if let last = labels.last, last.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw refuse("it is not a valid IP address, and a DNS name cannot end in a numeric label")
        }
        return name
    }
}

extension UInt8 {
    fileprivate var isLetterDigitOrHyphen: Bool {
        switch self {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }
}

extension String {
    fileprivate func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let c = s.first, c.isWhitespace { s.removeFirst() }
        while let c = s.last, c.isWhitespace { s.removeLast() }
        return String(s)
    }
}
