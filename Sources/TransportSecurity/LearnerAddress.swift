/// Where a worker (or `ppo flood`) finds its learner: `HOST:PORT`, `[IPv6]:PORT`. Parsed once, from the command
/// line, and handed on as a value.
public struct LearnerAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// `text` as HOST:PORT (brackets around an IPv6 address), with a port of 1–65535; nil otherwise.
    public init?(_ text: String) {
        var rest = Substring(text)
        let host: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            rest = rest[rest.index(after: close)...]
            guard rest.hasPrefix(":") else { return nil }
            rest = rest.dropFirst()
        } else {
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            host = rest[..<colon]
            guard !host.contains(":") else { return nil }  // an IPv6 address needs its brackets
            rest = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty, rest.allSatisfy({ $0.isASCII && $0.isNumber }), let port = Int(rest), (1...65535).contains(port) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
