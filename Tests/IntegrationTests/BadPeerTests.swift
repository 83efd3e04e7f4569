import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import NIOSSL
import PPOCore
import Testing
import Training
import TransportSecurity
@testable import Wire

/// GET `http://127.0.0.1:port/path`: the status and body.
func httpGet(port: Int, path: String) async throws -> (status: Int, body: String) {
    let (status, data) = try await httpGetData(port: port, path: path)
    return (status, String(decoding: data, as: UTF8.self))
}

/// GET `http://127.0.0.1:port/path`: the status and the body's bytes.
func httpGetBytes(port: Int, path: String) async throws -> (status: Int, body: [UInt8]) {
    let (status, data) = try await httpGetData(port: port, path: path)
    return (status, Array(data))
}

private func httpGetData(port: Int, path: String) async throws -> (Int, Data) {
    guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw URLError(.badURL) }
    var request = URLRequest(url: url)
    request.timeoutInterval = 30
    let (data, response) = try await URLSession.shared.data(for: request)
    return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
}

/// The value of one sample (`name` with its labels, exactly as exposed) in Prometheus text.
func sample(_ name: String, in text: String) -> Double? {
    for line in text.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}

/// Every kind of bad peer, over real mutual-TLS connections to a real `ppo-learner` process that an honest
/// `ppo-worker` process trains with.
@Suite("Bad peers (real processes, mutual TLS)", .serialized)
struct BadPeerTests {
    static func batch(for grant: Grant, _ welcome: Welcome, envs: Int = 2, steps: Int? = nil, observationSize: Int? = nil,
                      edit: (inout TransitionBatch) -> Void = { _ in }) -> Message {
        var b = TransitionBatch(policyVersion: grant.policyVersion, envCount: envs, steps: steps ?? Int(grant.steps),
                                observationSize: observationSize ?? welcome.observationSize, actionSize: 1)
        for i in 0..<b.count { b.rewards[i] = 1 }
        edit(&b)
        return .batch(BatchMessage(grantID: grant.grantID, actionEncoding: .uint8Index, batch: b))
    }

    @Test("each bad peer gets its error (or a closed connection before TLS), a log line and a count on /metrics; training goes on and nothing of theirs is trained",
          .timeLimit(.minutes(10)))
    func badPeers() async throws {
        let dir = temporaryDirectory("badpeers")
        defer { try? FileManager.default.removeItem(at: dir) }
        let certs = dir.appendingPathComponent("certs")
        _ = try CertificateBundle.create(in: certs, learnerHosts: ["127.0.0.1"], workers: 2)
        let started = try await StartedLearner.start([
            "--env", "CartPole-v1", "--host", "127.0.0.1", "--tls-dir", certs.path,
            "--checkpoint-dir", dir.appendingPathComponent("run").path, "--checkpoint-every", "0", "--steps", "100000000",
            "--hello-timeout", "4", "--idle-timeout", "8", "--max-connections", "3",
        ], metrics: true)
        let learner = started.process, port = started.port
        let metricsPort = try #require(started.metricsPort)
        defer { learner.kill9() }
        let honest = try Spawned("ppo-worker", [
            "--learner", "127.0.0.1:\(port)", "--tls-dir", certs.path, "--cert-name", "worker-1", "--id", "honest", "--envs", "4"], name: "honest")
        defer { honest.kill9() }
        try #require(await learner.wait(for: 120) { _ in learner.lastUpdate >= 2 }, "no training: \(learner.stderr.suffix(800))")

        let badTLS = try WorkerTLS.load(directory: certs, certName: "worker-2")
        let withCertificate: @Sendable () throws -> NIOSSLClientHandler = { try badTLS.makeClientHandler(learnerHost: "127.0.0.1") }

        /// Runs one bad peer; checks it is answered with `code` (nil: closed without one), that the learner logs
        /// `logged`, and that training goes on afterwards.
        func expect(_ code: WireError.Code?, logged: String, _ what: String, plainTCP: Bool = false,
                    tls: (@Sendable () throws -> NIOSSLClientHandler)? = nil, act: (TLSPeer) async -> Void) async throws {
            let logLinesBefore = learner.stderr.components(separatedBy: logged).count
            let peer = try await TLSPeer(port: port, tls: plainTCP ? nil : (tls ?? withCertificate))
            await act(peer)
            let (seen, closed) = await peer.errorThenClose()
            #expect(seen == code, "\(what): answered \(String(describing: seen)), expected \(String(describing: code))")
            #expect(closed, "\(what): the connection stayed open")
            #expect(await learner.wait(for: 10) { _ in learner.stderr.components(separatedBy: logged).count > logLinesBefore },
                    "\(what): no log line with '\(logged)'")
            let before = learner.lastUpdate
            #expect(await learner.wait(for: 60) { _ in learner.lastUpdate > before }, "\(what): training stopped at update \(before)")
        }

        try await expect(.badMagic, logged: "badMagic", "garbage bytes") { await $0.send(Array("GET / HTTP/1.1\r\nHost: learner\r\n\r\n".utf8)) }
        try await expect(.frameTooLarge, logged: "frameTooLarge", "a frame with a huge length") { peer in
            await peer.send(WireProtocol.magic + [1, 0, MessageType.batch.rawValue, 0] + [0xF0, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        }
        // The bomb is made before the peer connects: the hello timeout runs from the connection's start.
        let bomb = [UInt8](repeating: 0, count: 8 << 20).withUnsafeBytes { Compression.compress($0, level: 9) }
        func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let bombFrame = WireProtocol.magic + [1, 0, MessageType.hello.rawValue, 1] + le(UInt32(bomb.count)) + le(100)
            + le(bomb.withUnsafeBytes { Compression.crc32($0) }) + bomb
        try await expect(.decompressionFailed, logged: "decompressionFailed", "a zlib bomb (8 MiB of zeros said to be 100 bytes)") {
            await $0.send(bombFrame)
        }
        try await expect(.invalidValue, logged: "invalidValue", "a batch with NaN") { peer in
            guard let (w, g) = await peer.handshake(workerID: "bad-nan") else { Issue.record("no grant"); return }
            await peer.send(Self.batch(for: g, w) { $0.values[1] = .nan })
        }
        try await expect(.shapeMismatch, logged: "shapeMismatch", "a batch with the wrong observation width") { peer in
            guard let (w, g) = await peer.handshake(workerID: "bad-width") else { Issue.record("no grant"); return }
            await peer.send(Self.batch(for: g, w, observationSize: w.observationSize + 2))
        }
        try await expect(.actionOutOfRange, logged: "actionOutOfRange", "a batch with an action out of range") { peer in
            guard let (w, g) = await peer.handshake(workerID: "bad-action") else { Issue.record("no grant"); return }
            await peer.send(Self.batch(for: g, w) { $0.actions[0] = 7 })
        }
        try await expect(.ungrantedBatch, logged: "ungrantedBatch", "a batch for a grant never given") { peer in
            guard let (w, g) = await peer.handshake(workerID: "bad-grant") else { Issue.record("no grant"); return }
            var fake = g
            fake.grantID &+= 100_000
            await peer.send(Self.batch(for: fake, w))
        }
        try await expect(.grantExceeded, logged: "grantExceeded", "a batch larger than its grant") { peer in
            guard let (w, g) = await peer.handshake(workerID: "bad-size") else { Issue.record("no grant"); return }
            await peer.send(Self.batch(for: g, w, steps: Int(g.steps) + 1))
        }
        try await expect(.unexpectedMessage, logged: "unexpectedMessage", "a second Hello") { peer in
            _ = await peer.handshake(workerID: "bad-hello")
            await peer.send(.hello(Hello(workerID: "bad-hello", envID: "", envSignature: 0, numEnvs: 2)))
        }
        try await expect(.timeout, logged: "no Hello within", "a peer that completes TLS and sends nothing") { _ in }
        try await expect(.timeout, logged: "nothing received for the idle timeout", "a peer that says Hello and then nothing") { peer in
            await peer.send(.hello(Hello(workerID: "bad-silent", envID: "", envSignature: 0, numEnvs: 2)))
        }
        // Without TLS there is no channel to answer on: the learner closes.
        try await expect(nil, logged: "no Hello within", "plain TCP that sends nothing", plainTCP: true) { _ in }
        let noCertificate: @Sendable () throws -> NIOSSLClientHandler = {
            var config = TLSConfiguration.makeClientConfiguration()
            config.minimumTLSVersion = .tlsv13
            config.trustRoots = .file(certs.appendingPathComponent("ca.pem").path)
            return try NIOSSLClientHandler(context: NIOSSLContext(configuration: config), serverHostname: nil)
        }
        try await expect(nil, logged: "connection failed before Hello", "TLS without a client certificate", tls: noCertificate) { peer in
            await peer.send(.hello(Hello(workerID: "anonymous", envID: "", envSignature: 0, numEnvs: 2)))
        }
        // Connection limit (3): the honest worker and two more fill it; one more is refused.
        let fillers = try await [TLSPeer(port: port, tls: withCertificate), TLSPeer(port: port, tls: withCertificate)]
        for (i, f) in fillers.enumerated() {
            await f.send(.hello(Hello(workerID: "filler-\(i)", envID: "", envSignature: 0, numEnvs: 1)))
            guard case .message(.welcome) = await f.receive() else { Issue.record("filler \(i) not welcomed"); break }
        }
        try await expect(.tooManyConnections, logged: "tooManyConnections", "one connection over the limit") { peer in
            await peer.send(.hello(Hello(workerID: "one-too-many", envID: "", envSignature: 0, numEnvs: 1)))
        }
        for f in fillers { try? await f.channel.close() }

        // The learner's own account, then a graceful stop.
        let (status, metrics) = try await httpGet(port: metricsPort, path: "/metrics")
        #expect(status == 200)
        // Each refusal counted once. Timeouts: TLS then no Hello, plain TCP, Hello then silence — and the two
        // fillers of the connection limit if they outlive the idle timeout before the test closes them.
        for reason in ["badMagic", "frameTooLarge", "decompressionFailed", "invalidValue", "shapeMismatch", "actionOutOfRange",
                       "ungrantedBatch", "grantExceeded", "unexpectedMessage", "timeout", "tooManyConnections"] {
            let count = sample("ppo_frames_rejected_total{reason=\"\(reason)\"}", in: metrics) ?? 0
            #expect(reason == "timeout" ? (3...5).contains(count) : count == 1, "\(reason) counted \(count) times")
        }
        kill(learner.process.processIdentifier, SIGTERM)
        #expect(await learner.waitForExit(timeout: 60) == 0, "\(learner.stderr.suffix(800))")
        let m = try learnerSummary(dir.appendingPathComponent("run"))
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "\(m)")
        #expect(m.transitionsTrained == m.updates * 256, "only full rollouts of the honest worker were trained: \(m)")
        #expect(m.grantsIssued == m.grantsCompleted + m.grantsReturned + m.grantsOpen, "\(m)")
        // Nothing of the bad batches reached the weights: they are finite and the policy still acts.
        let checkpoint = try Checkpoint.read(from: dir.appendingPathComponent("run/checkpoint.safetensors"))
        #expect(checkpoint.parameters.allSatisfy { $0.values.allSatisfy(\.isFinite) })
        #expect(checkpoint.version == UInt64(m.updates))
    }
}
