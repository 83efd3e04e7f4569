import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Testing
import TransportSecurity

/// Real loopback connections between a NIOSSL server configured with `LearnerTLS` and clients configured with
/// `WorkerTLS` (or deliberately wrong clients). The server greets every connection as soon as it is usable, and
/// every client waits for that greeting, as a worker waits for the learner's Welcome: each attempt must end in
/// the greeting or an error within `connectionDeadline`, never in a hang.
@Suite("Mutual TLS over loopback")
struct MutualTLSTests {
    /// A bundle whose learner certificate names `hosts`, in a temporary directory.
    static func bundle(hosts: [String] = ["localhost", "127.0.0.1"]) throws -> TemporaryDirectory {
        let dir = try TemporaryDirectory()
        _ = try CertificateBundle.create(in: dir.url, learnerHosts: hosts, workers: 2)
        return dir
    }

    /// A worker configuration from explicit files, without the loader's consistency checks (to build wrong clients).
    static func worker(ca: URL, certificate: URL, key: URL) throws -> WorkerTLS {
        try WorkerTLS(
            trustRoot: try NIOSSLCertificate.fromPEMFile(ca.path)[0],
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificate.path),
            privateKey: try NIOSSLPrivateKey(file: key.path, format: .pem))
    }

    /// The server must have failed its handshake (NIOSSL reports it as `NIOSSLError.handshakeFailed`).
    static func expectServerRefused(_ outcome: ServerOutcome, sourceLocation: SourceLocation = #_sourceLocation) {
        guard case .failed(let error) = outcome else {
            Issue.record("the server did not refuse the connection: \(outcome)", sourceLocation: sourceLocation)
            return
        }
        guard let ssl = error as? NIOSSLError, case .handshakeFailed = ssl else {
            Issue.record("the server failed, but not in the handshake: \(error)", sourceLocation: sourceLocation)
            return
        }
    }

    /// The client must have failed (not been greeted, not hung); returns the failure as a worker would report it.
    static func expectClientFailed(
        _ outcome: ClientOutcome, host: String = "127.0.0.1", port: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> LearnerConnectionFailure? {
        guard case .failed(let error) = outcome else {
            Issue.record("the client did not fail: \(outcome)", sourceLocation: sourceLocation)
            return nil
        }
        return LearnerConnectionFailure(error, host: host, port: port)
    }

    @Test("the run's worker certificate is accepted and data round-trips", arguments: ["127.0.0.1", "localhost"])
    func acceptedWorker(dialling host: String) async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-2")
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: host) }
        let serverSaw = await server.outcome()
        await server.close()

        guard case .greeted(let echo) = client else {
            Issue.record("the worker was not greeted: \(client)")
            return
        }
        #expect(echo == Array("ping".utf8))
        guard case .greeted = serverSaw else {
            Issue.record("the server did not complete the handshake: \(serverSaw)")
            return
        }
    }

    @Test("a client without a certificate is refused in the handshake and learns it at its first read")
    func clientWithoutCertificate() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(dir.url.appendingPathComponent("ca.pem").path))
        let context = try NIOSSLContext(configuration: configuration)
        let client = await runClient(port: server.port) {
            try NIOSSLClientHandler(context: context, serverHostname: "localhost")
        }
        let serverSaw = await server.outcome()
        await server.close()

        Self.expectServerRefused(serverSaw)
        let failure = Self.expectClientFailed(client, port: server.port)
        #expect(failure?.kind == .workerCertificateRefused(.noCertificate))
    }

    @Test("a client certificate signed by another CA is refused, and the worker is told so in one sentence")
    func certificateFromAnotherCA() async throws {
        let dir = try Self.bundle()
        let other = try Self.bundle()
        defer { dir.remove(); other.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        // Trusts the right CA (so the client itself accepts the learner) but presents the other run's certificate.
        let worker = try Self.worker(
            ca: dir.url.appendingPathComponent("ca.pem"),
            certificate: other.url.appendingPathComponent("worker-1.pem"),
            key: other.url.appendingPathComponent("worker-1-key.pem"))
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: "localhost") }
        let serverSaw = await server.outcome()
        await server.close()

        Self.expectServerRefused(serverSaw)
        let failure = Self.expectClientFailed(client, host: "localhost", port: 7000)
        #expect(failure?.kind == .workerCertificateRefused(.unknownCA))
        #expect(failure?.description == "the learner at localhost:7000 refused this worker's certificate: it is not "
            + "signed by the run's CA (use ca.pem, worker-N.pem and worker-N-key.pem from the same `ppo certs` run "
            + "as the learner's files)")
    }

    @Test("a client presenting the learner's own certificate is refused (it is not a client certificate)")
    func learnerCertificateAsClient() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        let worker = try Self.worker(
            ca: dir.url.appendingPathComponent("ca.pem"),
            certificate: dir.url.appendingPathComponent("learner.pem"),
            key: dir.url.appendingPathComponent("learner-key.pem"))
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: "localhost") }
        let serverSaw = await server.outcome()
        await server.close()

        Self.expectServerRefused(serverSaw)
        #expect(Self.expectClientFailed(client, port: server.port)?.kind
            == .workerCertificateRefused(.notAClientCertificate))
    }

    @Test("a plaintext client is refused: the server fails the handshake, the client sees a closed connection")
    func plaintextClient() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        let client = await runClient(port: server.port, hello: Array("HELLO worker-1\n".utf8), makeTLSHandler: nil)
        let serverSaw = await server.outcome()
        await server.close()

        Self.expectServerRefused(serverSaw)
        guard case .closed(let received) = client else {
            Issue.record("the plaintext client was not simply disconnected: \(client)")
            return
        }
        // At most a TLS alert record (type 21), never the greeting.
        #expect(received.isEmpty || received[0] == 21)
        #expect(!received.starts(with: greeting))
    }

    @Test("a worker refuses a learner whose certificate does not name the dialled host", arguments: ["127.0.0.1", "localhost"])
    func learnerCertificateForAnotherHost(dialling host: String) async throws {
        let dir = try Self.bundle(hosts: ["learner.example", "10.9.8.7"])
        defer { dir.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: dir.url))
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: host) }
        await server.close()

        let failure = Self.expectClientFailed(client, host: host, port: server.port)
        #expect(failure?.kind == .learnerCertificateNotValidForHost)
        #expect(failure?.description.hasPrefix("the learner's certificate is not valid for \(host):") == true)
    }

    @Test("a worker refuses a learner certificate from another CA")
    func learnerFromAnotherCA() async throws {
        let dir = try Self.bundle()
        let other = try Self.bundle()
        defer { dir.remove(); other.remove() }
        let server = try await GreetingServer(tls: try LearnerTLS.load(directory: other.url))
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: "127.0.0.1") }
        let serverSaw = await server.outcome()
        await server.close()

        Self.expectServerRefused(serverSaw)
        #expect(Self.expectClientFailed(client, port: server.port)?.kind == .learnerCertificateUntrusted)
    }

    @Test("a worker refuses a learner that presents a worker (client) certificate")
    func workerCertificateAsLearner() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let learner = try LearnerTLS(
            trustRoot: try NIOSSLCertificate.fromPEMFile(dir.url.appendingPathComponent("ca.pem").path)[0],
            certificateChain: try NIOSSLCertificate.fromPEMFile(dir.url.appendingPathComponent("worker-2.pem").path),
            privateKey: try NIOSSLPrivateKey(file: dir.url.appendingPathComponent("worker-2-key.pem").path, format: .pem))
        let server = try await GreetingServer(tls: learner)
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: "localhost") }
        await server.close()

        #expect(Self.expectClientFailed(client, port: server.port)?.kind == .learnerCertificateUntrusted)
    }

    @Test("a TLS worker dialling a plaintext learner is told the learner did not answer TLS")
    func plaintextLearner() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let server = try await GreetingServer(tls: nil)
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let client = await runClient(port: server.port) { try worker.makeClientHandler(learnerHost: "127.0.0.1") }
        await server.close()

        let failure = Self.expectClientFailed(client, port: 7000)
        #expect(failure?.kind == .learnerNotTLS)
        #expect(failure?.description.hasPrefix(
            "the learner at 127.0.0.1:7000 did not answer TLS (is it running with --plaintext?") == true)
    }

    @Test("nothing listening: the worker is told so")
    func nothingListening() async throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        // A port bound but not listening refuses connections, and stays ours while the test runs (a port closed
        // after use can be taken by another test's learner meanwhile).
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        try #require(bound == 0)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let client = await runClient(port: port) { try worker.makeClientHandler(learnerHost: "127.0.0.1") }

        let failure = Self.expectClientFailed(client, port: port)
        #expect(failure?.kind == .connectionRefused)
        #expect(failure?.description.hasPrefix("nothing is listening at 127.0.0.1:\(port)") == true)
    }

    @Test("the configurations are TLS 1.3 only, with the run's CA as the only trust root")
    func configurations() throws {
        let dir = try Self.bundle()
        defer { dir.remove() }
        let learner = try LearnerTLS.load(directory: dir.url)
        let worker = try WorkerTLS.load(directory: dir.url, certName: "worker-1")
        let ca = try NIOSSLCertificate.fromPEMFile(dir.url.appendingPathComponent("ca.pem").path)
        for configuration in [learner.configuration, worker.configuration] {
            #expect(configuration.minimumTLSVersion == .tlsv13)
            #expect(configuration.maximumTLSVersion == .tlsv13)
            #expect(configuration.trustRoots == .certificates(ca))
            #expect(configuration.additionalTrustRoots.isEmpty)
        }
        #expect(learner.configuration.certificateVerification == .noHostnameVerification)
        #expect(worker.configuration.certificateVerification == .fullVerification)
        #expect(learner.names == ["localhost", "127.0.0.1"])
        #expect(worker.workerName == "worker-1")
        #expect(try WorkerTLS.serverHostname(forDialling: "Learner.Example") == "learner.example")
        #expect(try WorkerTLS.serverHostname(forDialling: "10.0.0.5") == nil)
        #expect(try WorkerTLS.serverHostname(forDialling: "[::1]") == nil)
    }
}
