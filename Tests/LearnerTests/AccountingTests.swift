import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PPOCore
import Testing
import Training
@testable import Learner
@testable import Wire

/// A plaintext CartPole-v1 learner on loopback that trains nothing until told (port 0: any free port).
func cartPoleLearner(port: Int = 0) throws -> LearnerServer {
    try LearnerServer(options: LearnerOptions(run: try Presets.load("CartPole-v1"), seed: 1, host: "127.0.0.1", port: port, tls: nil))
}

@Suite("Learner accounting")
struct AccountingTests {
    @Test("a batch granted before the run ended and arriving after it is received and dropped as unfinished, never lost")
    func batchAfterStop() async throws {
        let core = try cartPoleLearner().core
        let (stream, outbound) = AsyncStream<OutboundFrame>.makeStream()
        let id = try await core.register(hello: Hello(workerID: "late", envID: "", envSignature: 0, numEnvs: 2), peer: "127.0.0.1:1", outbound: outbound).session()
        guard case .keepOpen = await core.handle(.ready(policyVersion: 0), session: id) else {
            Issue.record("Ready was refused")
            return
        }
        var grant: Grant?
        for await frame in stream {
            if case .message(.grant(let g)) = frame { grant = g; break }
        }
        let g = try #require(grant)
        await core.stop()

        var b = TransitionBatch(policyVersion: g.policyVersion, envCount: 2, steps: Int(g.steps), observationSize: 4, actionSize: 1)
        for i in 0..<b.count { b.rewards[i] = 1 }
        _ = await core.handle(.batch(BatchMessage(grantID: g.grantID, actionEncoding: .uint8Index, batch: b)), session: id)
        let m = await core.currentMetrics()
        #expect(m.transitionsReceived == b.count)
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "received \(m.transitionsReceived), trained \(m.transitionsTrained), dropped \(m.transitionsDropped)")
        #expect(m.transitionsDropped["unfinished"] == b.count)
    }
}

@Suite("Grants per worker")
struct GrantCapTests {
    @Test("a worker that keeps saying Ready holds at most maxUnackedBatches open grants")
    func cap() async throws {
        let core = try cartPoleLearner().core
        let (stream, outbound) = AsyncStream<OutboundFrame>.makeStream()
        let id = try await core.register(hello: Hello(workerID: "greedy", envID: "", envSignature: 0, numEnvs: 2), peer: "127.0.0.1:1", outbound: outbound).session()
        for _ in 0..<12 { _ = await core.handle(.ready(policyVersion: 0), session: id) }
        await core.stop()  // ends the session's stream
        var grants = 0
        for await frame in stream {
            if case .message(.grant) = frame { grants += 1 }
        }
        let limit = await core.options.maxUnackedBatches
        #expect(grants == limit, "\(grants) grants open at once")
    }
}

@Suite("Grant deadline")
struct GrantTimeoutTests {
    @Test("a worker that keeps its grant past the grant timeout is told so and closed; the grant goes back to the pool")
    func expire() async throws {
        let options = LearnerOptions(run: try Presets.load("CartPole-v1"), seed: 1, host: "127.0.0.1", port: 0, tls: nil,
                                     grantTimeout: .milliseconds(200))
        let core = try LearnerServer(options: options).core
        let (stream, outbound) = AsyncStream<OutboundFrame>.makeStream()
        let id = try await core.register(hello: Hello(workerID: "sitting", envID: "", envSignature: 0, numEnvs: 2), peer: "127.0.0.1:1", outbound: outbound).session()
        _ = await core.handle(.ready(policyVersion: 0), session: id)
        await core.expireGrants()
        #expect(await core.currentMetrics().grantsOpen == 1, "a fresh grant is not expired")
        await core.expireGrants(now: .now + .milliseconds(300))
        var error: UInt16?
        for await frame in stream {  // the session's stream ends when it is closed
            if case .message(.error(let code, _)) = frame { error = code }
        }
        #expect(error == WireError.Code.timeout.rawValue)
        let m = await core.currentMetrics()
        #expect(m.grantsOpen == 0 && m.grantsReturned == 1 && m.workersConnected == 0)
        #expect(m.framesRejected["timeout"] == 1)
    }
}

@Suite("Learner start-up errors")
struct StartupErrorTests {
    @Test("a port already in use is one sentence that names the address and the flag to change")
    func portInUse() async throws {
        let first = try cartPoleLearner()
        let ports = AsyncStream<Int>.makeStream()
        async let finished = first.run { ports.continuation.yield($0) }
        var it = ports.stream.makeAsyncIterator()
        let port = await it.next() ?? 0
        let second = try cartPoleLearner(port: port)
        var message = ""
        do {
            _ = try await second.run()
        } catch let error as ListenFailure {
            message = "\(error)"
        } catch {
            message = "unexpected: \(error)"
        }
        await first.stop()
        _ = try await finished
        #expect(message == "cannot listen for workers on 127.0.0.1:\(port): the port is in use (by another learner or another program); choose another with --port")
    }
}

@Suite("Connection cap")
struct ConnectionCapTests {
    /// A TCP connection that reads until the learner closes it.
    final class Socket: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let closed = NIOLockedValueBox(false)
        func channelInactive(context: ChannelHandlerContext) { closed.withLockedValue { $0 = true } }
    }

    @Test("connections beyond --max-connections plus the handshake allowance are closed at once, counted, and the others stay")
    func cap() async throws {
        let options = LearnerOptions(run: try Presets.load("CartPole-v1"), seed: 1, host: "127.0.0.1", port: 0, tls: nil,
                                     helloTimeout: .seconds(60), maxConnections: 2)
        let server = try LearnerServer(options: options)
        let ports = AsyncStream<Int>.makeStream()
        async let finished = server.run { ports.continuation.yield($0) }
        var it = ports.stream.makeAsyncIterator()
        let port = await it.next() ?? 0
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let cap = 2 + LearnerServer.handshakeAllowance
        var sockets: [(Channel, Socket)] = []
        for _ in 0..<(cap + 3) {
            let socket = Socket()
            let channel = try await ClientBootstrap(group: group)
                .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(socket) } }
                .connect(host: "127.0.0.1", port: port).get()
            sockets.append((channel, socket))
        }
        // The three over the cap are closed by the learner; the others (silent, within their Hello deadline of 60 s)
        // are not. The learner admits connections in order, so once it has counted three rejections it has decided
        // on every one of them.
        let deadline = ContinuousClock.now + .seconds(30)
        var rejected = 0
        var closed = 0
        while rejected < 3 || closed < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            rejected = await server.metrics().framesRejected["tooManyConnections"] ?? 0
            closed = sockets.filter { $0.1.closed.withLockedValue { $0 } }.count
        }
        for (channel, _) in sockets { try? await channel.close() }
        await server.stop()
        _ = try await finished
        try? await group.shutdownGracefully()
        #expect(closed == 3, "\(closed) of \(cap + 3) connections closed")
        #expect(rejected == 3)
    }
}

@Suite("Learner summary file")
struct LearnerSummaryTests {
    @Test("summary.json round-trips every counter, with snake_case keys")
    func roundTrip() throws {
        var m = LearnerMetrics()
        m.updates = 7
        m.policyVersion = 7
        m.transitionsReceived = 100
        m.transitionsTrained = 90
        m.transitionsDropped = ["stale": 10]
        m.framesRejected = ["badMagic": 1]
        m.recentReturn = 12.5
        m.checkpoints = CheckpointRecord(written: 3, failures: 2, lastFailure: "/x: No space left on device")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-summary-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let summary = LearnerSummary(environment: "CartPole-v1", checkpoint: "/x/checkpoint.safetensors", metrics: m)
        try summary.write(into: folder)
        #expect(try LearnerSummary.read(from: folder) == summary)
        let text = try String(contentsOf: folder.appendingPathComponent("summary.json"), encoding: .utf8)
        #expect(text.contains("\"transitions_received\" : 100") && text.contains("\"environment\" : \"CartPole-v1\""), "\(text)")
        #expect(text.contains("\"last_failure\" : \"\\/x: No space left on device\"") || text.contains("\"last_failure\" : \"/x: No space left on device\""), "\(text)")
        #expect(m.prometheusText().contains("ppo_checkpoint_failures_total 2.0"))
    }
}

@Suite("Learner liveness")
struct LivenessTests {
    @Test("the learner echoes a worker's Heartbeat at once, unchanged, so a waiting worker hears a live learner (PROTOCOL.md §3.3)",
          .timeLimit(.minutes(3)))
    func heartbeatEcho() async throws {
        let server = try cartPoleLearner()
        let worker = try await HandWrittenWorker.connect(to: server)
        var echoed: UInt64?
        try await worker.channel.executeThenClose { inbound, outbound in
            try await outbound.write(.hello(Hello(workerID: "listener", envID: "", envSignature: 0, numEnvs: 2)))
            var sentHeartbeat = false
            for try await message in inbound {
                switch message {
                case .weights:
                    try await outbound.write(.heartbeat(sentAtNanoseconds: 424_242))
                    sentHeartbeat = true
                case .heartbeat(let t) where sentHeartbeat:
                    echoed = t
                default:
                    continue
                }
                if echoed != nil { break }
            }
        }
        await server.stop()
        try await worker.finish()
        #expect(echoed == 424_242)
    }
}

@Suite("Learner goodbye")
struct GoodbyeLingerTests {
    @Test("after its Goodbye the learner leaves the connection open for the worker to close first (what the worker still sends is read, so the close is no reset that could discard the Goodbye), and closes a worker that stays silent after the linger",
          .timeLimit(.minutes(3)))
    func goodbyeLingers() async throws {
        let server = try cartPoleLearner()
        let worker = try await HandWrittenWorker.connect(to: server)
        var goodbyeAt: ContinuousClock.Instant?
        var openAfterGoodbye: Duration?
        try await worker.channel.executeThenClose { inbound, outbound in
            try await outbound.write(.hello(Hello(workerID: "silent", envID: "", envSignature: 0, numEnvs: 2)))
            for try await message in inbound {
                switch message {
                case .weights:
                    Task { await server.stop() }
                case .goodbye:
                    goodbyeAt = .now
                    // A frame sent after the Goodbye (a batch in flight would be one) is read, not reset.
                    try await outbound.write(.heartbeat(sentAtNanoseconds: 1))
                default:
                    continue
                }
            }
            openAfterGoodbye = goodbyeAt.map { ContinuousClock.now - $0 }
        }
        try await worker.finish()
        let open = try #require(openAfterGoodbye, "no Goodbye")
        // The linger is 2 s: not closed at once, and not kept open by a silent worker.
        #expect(open >= .seconds(1) && open < .seconds(20), "closed \(open) after the Goodbye")
    }
}

@Suite("Learner cancellation")
struct CancellationTests {
    @Test("a cancelled learner stops as stop() stops it: run returns and the run is stopped, not left serving",
          .timeLimit(.minutes(3)))
    func cancelledRunStops() async throws {
        let server = try cartPoleLearner()
        let ports = AsyncStream<Int>.makeStream()
        let running = Task { try await server.run { ports.continuation.yield($0) } }
        var it = ports.stream.makeAsyncIterator()
        #expect(await it.next() != nil, "the learner listens")
        running.cancel()
        _ = try? await running.value
        #expect(await server.core.runState == "stopped")
    }
}

extension SessionRegistration {
    /// The session id, or the refusal as a thrown error.
    func session() throws -> Int {
        switch self {
        case .session(let id): return id
        case .refused(let error): throw error
        case .ended(let goodbye): throw WireError(.shuttingDown, "ended: \(goodbye.message)")
        }
    }
}
