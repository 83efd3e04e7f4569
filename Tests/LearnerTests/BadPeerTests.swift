import Foundation
import NIOCore
import PPOCore
import Testing
import Training
@testable import Learner
@testable import Wire
@testable import Worker

/// A raw TCP peer on loopback that writes whatever bytes a test wants and reads frames back.
final class RawPeer {
    let fd: Int32
    private var inbox = ByteBuffer()

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else { throw WireError(.truncated, "connect failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func send(_ message: Message, compression: Frame.CompressionPolicy = .default) {
        var b = Frame.encode(message, compression: compression)
        send(b.readBytes(length: b.readableBytes) ?? [])
    }

    /// The next message, or nil when the connection is closed (or nothing came within 5 s).
    func receive() -> Message? {
        while true {
            if let m = try? Frame.decode(from: &inbox, limits: .default) { return m }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            inbox.writeBytes(chunk[0..<n])
        }
    }

    /// Reads until an Error message or the end; returns the error code seen.
    func errorCode() -> UInt16? {
        while let m = receive() {
            if case .error(let code, _) = m { return code }
        }
        return nil
    }

    /// Whether the learner closed the connection (read returns 0).
    func isClosed() -> Bool { receive() == nil }

    /// Hello, then Welcome/Weights, then Ready and the first Grant.
    func handshake(envs: Int = 2) -> (welcome: Welcome, grant: Grant)? {
        send(.hello(Hello(workerID: "bad", envID: "", envSignature: 0, numEnvs: UInt16(envs))))
        guard case .welcome(let w)? = receive(), case .weights(var weights)? = receive() else { return nil }
        send(.ready(policyVersion: weights.policyVersion))
        while let m = receive() {
            switch m {
            case .grant(let g): return (w, g)
            case .weights(let newer):
                weights = newer
                send(.ready(policyVersion: weights.policyVersion))
            default: continue
            }
        }
        return nil
    }
}

@Suite("Bad peers", .serialized)
struct BadPeerTests {
    /// A learner with one honest worker training, plus the given bad peer; checks the peer gets `code` and is
    /// closed, and that the learner keeps training with the honest worker and trains on nothing of the peer's.
    func withLearner(_ body: (Int) throws -> Void) async throws -> LearnerMetrics {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 40_000
        let options = LearnerOptions(run: run, seed: 3, host: "127.0.0.1", port: 0, tls: nil, helloTimeout: .milliseconds(800),
                                     idleTimeout: .seconds(3), maxConnections: 3, checkpointEvery: 0)
        let server = try LearnerServer(options: options)
        let ports = AsyncStream<Int>.makeStream()
        async let metrics = server.run { ports.continuation.yield($0) }
        var it = ports.stream.makeAsyncIterator()
        let port = try #require(await it.next())
        let honest = Task {
            try await WorkerClient(options: WorkerOptions(host: "127.0.0.1", port: port, tls: nil, workerID: "honest", envs: 8, maxAttempts: 5)).run()
        }
        try body(port)
        try await honest.value
        return try await metrics
    }

    static func corrupt(_ grant: Grant, _ welcome: Welcome, envs: Int = 2, steps: Int? = nil, edit: (inout TransitionBatch) -> Void) -> Message {
        var b = TransitionBatch(policyVersion: grant.policyVersion, envCount: envs, steps: steps ?? Int(grant.steps), observationSize: welcome.observationSize, actionSize: 1)
        for i in 0..<b.count { b.rewards[i] = 1 }
        edit(&b)
        return .batch(BatchMessage(grantID: grant.grantID, actionEncoding: .uint8Index, batch: b))
    }

    @Test("every kind of bad input gets its error code and a closed connection; training goes on; nothing of it is trained")
    func badInputs() async throws {
        let metrics = try await withLearner { port in
            func expect(_ code: WireError.Code, _ what: String, _ act: (RawPeer) -> Void) throws {
                let peer = try RawPeer(port: port)
                act(peer)
                #expect(peer.errorCode() == code.rawValue, "\(what)")
                #expect(peer.isClosed(), "\(what): the connection stays open")
            }
            try expect(.badMagic, "garbage bytes") { $0.send(Array("GET / HTTP/1.1\r\nHost: learner\r\n\r\n".utf8)) }
            try expect(.frameTooLarge, "a frame with a huge length") { peer in
                var header = WireProtocol.magic + [1, 0, MessageType.batch.rawValue, 0]
                header += [0xF0, 0xFF, 0xFF, 0xFF, 0xF0, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0]
                peer.send(header)
            }
            try expect(.decompressionFailed, "a zlib bomb") { peer in
                let zeros = [UInt8](repeating: 0, count: 8 << 20)
                let bomb = zeros.withUnsafeBytes { Compression.compress($0, level: 9) }
                func le(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
                let crc = bomb.withUnsafeBytes { Compression.crc32($0) }
                peer.send(WireProtocol.magic + [1, 0, MessageType.hello.rawValue, 1] + le(UInt32(bomb.count)) + le(100) + le(crc) + bomb)
            }
            try expect(.invalidValue, "a batch with NaN") { peer in
                guard let (w, g) = peer.handshake() else { Issue.record("no grant"); return }
                peer.send(Self.corrupt(g, w) { $0.values[1] = .nan })
            }
            try expect(.shapeMismatch, "wrong observation width") { peer in
                guard let (w, g) = peer.handshake() else { Issue.record("no grant"); return }
                var wide = w
                wide.observationSize = 6
                peer.send(Self.corrupt(g, wide) { _ in })
            }
            try expect(.actionOutOfRange, "actions out of range") { peer in
                guard let (w, g) = peer.handshake() else { Issue.record("no grant"); return }
                peer.send(Self.corrupt(g, w) { $0.actions[0] = 7 })
            }
            try expect(.ungrantedBatch, "a batch for a grant never given") { peer in
                guard let (w, g) = peer.handshake() else { Issue.record("no grant"); return }
                var fake = g
                fake.grantID &+= 1000
                peer.send(Self.corrupt(fake, w) { _ in })
            }
            try expect(.grantExceeded, "a batch larger than its grant") { peer in
                guard let (w, g) = peer.handshake() else { Issue.record("no grant"); return }
                peer.send(Self.corrupt(g, w, steps: Int(g.steps) + 1) { _ in })
            }
            try expect(.unexpectedMessage, "a second Hello") { peer in
                _ = peer.handshake()
                peer.send(.hello(Hello(workerID: "bad", envID: "", envSignature: 0, numEnvs: 2)))
            }
            try expect(.timeout, "a peer that sends nothing") { _ in }
            // Connection limit: the honest worker plus two idle peers fill the three places.
            let a = try RawPeer(port: port), b = try RawPeer(port: port)
            a.send(.hello(Hello(workerID: "a", envID: "", envSignature: 0, numEnvs: 1)))
            b.send(.hello(Hello(workerID: "b", envID: "", envSignature: 0, numEnvs: 1)))
            _ = a.receive()
            _ = b.receive()
            try expect(.tooManyConnections, "one connection over the limit") { peer in
                peer.send(.hello(Hello(workerID: "c", envID: "", envSignature: 0, numEnvs: 1)))
            }
        }
        #expect(metrics.updates == 156, "the honest worker's run finished")
        #expect(metrics.transitionsReceived == metrics.transitionsTrained + metrics.droppedTotal)
        #expect(metrics.transitionsTrained == 156 * 256)
        let rejected = metrics.framesRejected
        for name in ["badMagic", "frameTooLarge", "decompressionFailed", "invalidValue", "shapeMismatch", "actionOutOfRange",
                     "ungrantedBatch", "grantExceeded", "unexpectedMessage", "timeout"] {
            #expect((rejected[name] ?? 0) >= 1, "\(name) not counted: \(rejected)")
        }
    }
}
