import Testing
import TransportSecurity

@Suite("Plaintext policy and host parsing")
struct PlaintextPolicyTests {
    @Test("plaintext is allowed on loopback", arguments: [
        "127.0.0.1", "127.255.0.9", "::1", "[::1]", "::ffff:127.0.0.1", "localhost", "LocalHost", "localhost.",
    ])
    func loopbackAllowed(host: String) throws {
        #expect(PlaintextPolicy.allows(host: host))
        try PlaintextPolicy.check(host: host, use: .listen)
        try PlaintextPolicy.check(host: host, use: .connect)
    }

    @Test("plaintext is refused anywhere else, including the wildcard bind addresses", arguments: [
        "0.0.0.0", "::", "10.1.2.3", "192.168.0.7", "128.0.0.1", "::2", "example.com", "localhost.example.com",
        "my-localhost", "", "not a host",
    ])
    func otherwiseRefused(host: String) {
        #expect(!PlaintextPolicy.allows(host: host))
        #expect(throws: TransportSecurityError.plaintextNotLoopback(host: host, use: .listen)) {
            try PlaintextPolicy.check(host: host, use: .listen)
        }
        #expect(throws: TransportSecurityError.plaintextNotLoopback(host: host, use: .connect)) {
            try PlaintextPolicy.check(host: host, use: .connect)
        }
    }

    @Test("the refusal says what is allowed and what to do instead")
    func refusalSentence() {
        let listen = TransportSecurityError.plaintextNotLoopback(host: "0.0.0.0", use: .listen).description
        #expect(listen.hasPrefix("refusing to listen on 0.0.0.0 without TLS: plaintext is allowed only on loopback"))
        #expect(listen.contains("--tls-dir") && listen.contains("ppo certs"))
        let connect = TransportSecurityError.plaintextNotLoopback(host: "10.1.2.3", use: .connect).description
        #expect(connect.hasPrefix("refusing to connect to 10.1.2.3 without TLS"))
    }

    @Test("hosts parse as IPv4, IPv6 or DNS names")
    func hostParsing() throws {
        #expect(try HostAddress(parsing: "10.0.0.5") == .ipv4([10, 0, 0, 5]))
        #expect(try HostAddress(parsing: " 10.0.0.5 ") == .ipv4([10, 0, 0, 5]))
        #expect(try HostAddress(parsing: "[fe80::1]") == .ipv6([0xFE, 0x80] + [UInt8](repeating: 0, count: 13) + [1]))
        #expect(try HostAddress(parsing: "fe80::1").description == "fe80::1")
        #expect(try HostAddress(parsing: "Learner-1.Example.") == .dnsName("learner-1.example"))
        #expect(try HostAddress(parsing: "localhost").isIPAddress == false)
        #expect(try HostAddress(parsing: "::1").isIPAddress)
        for bad in ["10.0.5", "256.1.1.1", "a_b.example", "-a.example", "a..example", "*.example", "fe80::1%eth0"] {
            #expect(throws: TransportSecurityError.self, "\(bad) parsed") { _ = try HostAddress(parsing: bad) }
        }
    }
}

@Suite("Learner address")
struct LearnerAddressTests {
    @Test("HOST:PORT and [IPv6]:PORT parse; anything else is refused")
    func parse() {
        #expect(LearnerAddress("127.0.0.1:9000") == LearnerAddress(host: "127.0.0.1", port: 9000))
        #expect(LearnerAddress("learner.example:1") == LearnerAddress(host: "learner.example", port: 1))
        #expect(LearnerAddress("[::1]:9000") == LearnerAddress(host: "::1", port: 9000))
        #expect(LearnerAddress("[::1]:9000")?.description == "[::1]:9000")
        for bad in ["", "9000", "host", "host:", ":9000", "host:0", "host:65536", "host:90a", "::1:9000", "[::1]9000", "[::1", "host:+9000", "host:٩٠٠٠"] {
            #expect(LearnerAddress(bad) == nil, "\(bad)")
        }
    }
}
