import Foundation
import Environments
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PPOCore
import Testing
import Wire
import Worker

/// A learner that answers each connection's Hello with a scripted list of messages and records what the worker
/// sends: a learner that is buggy or compromised, on loopback, in this process.
final class ScriptedLearner: Sendable {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    private let state: NIOLockedValueBox<(scripts: [[Message]], received: [[Message]])>
    private let channel: NIOLockedValueBox<Channel?> = NIOLockedValueBox(nil)

    /// How long after writing a connection's script its output is shut (a FIN); nil: never.
    let closesAfterScript: TimeAmount?

    init(scripts: [[Message]], closesAfterScript: TimeAmount? = nil) {
        state = NIOLockedValueBox((scripts, []))
        self.closesAfterScript = closesAfterScript
    }

    /// Listens on a free loopback port; returns it.
    func start() async throws -> Int {
        let bound = try await ServerBootstrap(group: group)
            .childChannelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    try ops.addHandler(ByteToMessageHandler(MessageDecoder()))
                    try ops.addHandler(MessageToByteHandler(MessageEncoder()))
                    try ops.addHandler(ScriptHandler(learner: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        channel.withLockedValue { $0 = bound }
        return bound.localAddress?.port ?? 0
    }

    func stop() async {
        try? await channel.withLockedValue { $0 }?.close()
        try? await group.shutdownGracefully()
    }

    /// A new connection said Hello: its index and the messages to send it.
    fileprivate func connected() -> (Int, [Message]) {
        state.withLockedValue { s in
            s.received.append([])
            let index = s.received.count - 1
            return (index, index < s.scripts.count ? s.scripts[index] : [])
        }
    }

    fileprivate func record(_ message: Message, connection: Int) {
        state.withLockedValue { s in if connection < s.received.count { s.received[connection].append(message) } }
    }

    /// What the worker sent on each connection.
    var received: [[Message]] { state.withLockedValue { $0.received } }

    /// The error codes the worker sent on connection `index`.
    func errorCodes(_ index: Int) -> [UInt16] {
        let all = received
        guard index < all.count else { return [] }
        return all[index].compactMap { if case .error(let code, _) = $0 { code } else { nil } }
    }
}

private final class ScriptHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = Message
    typealias OutboundOut = Message
    let learner: ScriptedLearner
    var connection = -1

    init(learner: ScriptedLearner) { self.learner = learner }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let message = unwrapInboundIn(data)
        if case .hello = message {
            let (index, script) = learner.connected()
            connection = index
            for m in script { context.write(wrapOutboundOut(m), promise: nil) }
            context.flush()
            if let delay = learner.closesAfterScript {
                let channel = context.channel
                context.eventLoop.scheduleTask(in: delay) { channel.close(mode: .output, promise: nil) }
            }
        }
        learner.record(message, connection: connection)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}

/// The worker's side of the conversation against a learner that sends what no honest learner would: every field
/// that sizes or indexes anything is checked before it is used (PROTOCOL.md §3.1, §4, §6).
@Suite("Worker against a hostile learner")
struct HostileLearnerTests {
    static let spec = EnvironmentRegistry.specs[0]  // CartPole-v1

    static func welcome(version: UInt16 = WireProtocol.supportedVersions.upperBound) -> Message {
        var w = Welcome(
            version: version, runID: "hostile", envID: spec.id, policyVersion: 0, seed: 1, maxUnackedBatches: 4,
            heartbeatIntervalMilliseconds: 5000, activation: .tanh, hiddenSizes: [64, 64], observationSize: spec.observationSize,
            head: .categorical(segments: [2]), parameterCount: 0, observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10,
            envSignature: EnvironmentSignature.hash(envID: spec.id, arguments: "", observationSpace: spec.observationSpace,
                                                    actionSpace: spec.actionSpace, maxEpisodeSteps: spec.maxEpisodeSteps))
        w.parameterCount = w.impliedParameterCount
        return .welcome(w)
    }

    static func weights(normalizerSize: Int? = nil) -> Message {
        guard case .welcome(let w) = welcome() else { return .heartbeat(sentAtNanoseconds: 0) }
        let normalizer = normalizerSize.flatMap {
            RunningMeanStd(mean: Array(repeating: 0, count: $0), variance: Array(repeating: 1, count: $0), count: 10)
        }
        return .weights(Weights(policyVersion: 0, parameters: Array(repeating: 0.01, count: w.parameterCount), normalizer: normalizer))
    }

    func client(port: Int) -> WorkerClient {
        WorkerClient(options: WorkerOptions(
            host: "127.0.0.1", port: port, tls: nil, workerID: "target", envs: 2,
            initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50), maxAttempts: 5, welcomeTimeout: .seconds(5)))
    }

    @Test("a Welcome whose policy head does not fit the worker's env (three choices for CartPole-v1's two): the worker answers shapeMismatch, stops saying so, and collects nothing",
          .timeLimit(.minutes(2)))
    func headThatDoesNotFit() async throws {
        guard case .welcome(var w) = Self.welcome() else { Issue.record("no Welcome"); return }
        w.network.head = .categorical(segments: [3])
        try await expectRefused(w) { "\($0)".contains("policy head Categorical(3) does not fit CartPole-v1's action space Discrete(2)") }
    }

    @Test("a Welcome of a convolutional network over an image CartPole-v1's observations do not have: the worker answers shapeMismatch, stops saying so, and collects nothing",
          .timeLimit(.minutes(2)))
    func imageThatIsNotThere() async throws {
        guard case .welcome(var w) = Self.welcome() else { Issue.record("no Welcome"); return }
        let image = ImageLayout(offset: 0, height: 2, width: 2, channels: 1, channelsFirst: false, scale: 1 / 255)
        w.network.body = .convolutional(image: image, convolutions: [.init(outChannels: 2, kernel: 2, stride: 1)], hidden: 8)
        try await expectRefused(w) { "\($0)".contains("the learner's network reads an image 2×2 at value 0") && "\($0)".contains("no images") }
    }

    /// Serves `w` (its parameter count made the network's) to a worker: the worker must stop with an error `matches`
    /// accepts, having answered shapeMismatch and sent no batch.
    func expectRefused(_ w: Welcome, matches: @escaping @Sendable (any Error) -> Bool) async throws {
        var w = w
        w.parameterCount = w.impliedParameterCount
        let learner = ScriptedLearner(scripts: [[.welcome(w)]])
        let port = try await learner.start()
        await #expect {
            try await client(port: port).run()
        } throws: { error in
            matches(error)
        }
        await learner.stop()
        #expect(learner.errorCodes(0) == [WireError.Code.shapeMismatch.rawValue])
        #expect(!learner.received[0].contains { if case .batch = $0 { true } else { false } })
    }

    @Test("Weights whose normaliser has observation size + 1 values: refused with shapeMismatch, the worker reconnects; then a Welcome of a protocol version it does not speak: refused with unsupportedVersion, the worker stops with an error",
          .timeLimit(.minutes(3)))
    func badNormaliserThenUnknownVersion() async throws {
        let learner = ScriptedLearner(scripts: [
            [Self.welcome(), Self.weights(normalizerSize: Self.spec.observationSize + 1)],
            [Self.welcome(version: WireProtocol.supportedVersions.upperBound + 1)],
        ])
        let port = try await learner.start()
        await #expect(throws: WorkerError.self) { try await client(port: port).run() }
        await learner.stop()
        #expect(learner.errorCodes(0) == [WireError.Code.shapeMismatch.rawValue])
        #expect(learner.errorCodes(1) == [WireError.Code.unsupportedVersion.rawValue])
        // Nothing was collected with the bad normaliser.
        #expect(!learner.received[0].contains { if case .batch = $0 { true } else { false } })
    }

    @Test("a Grant of 2^32 − 1 steps, more than a Batch can carry: refused with grantExceeded before anything is allocated; the worker reconnects and ends when told the run is finished",
          .timeLimit(.minutes(3)))
    func oversizedGrant() async throws {
        let learner = ScriptedLearner(scripts: [
            [Self.welcome(), Self.weights(), .grant(Grant(grantID: 1, policyVersion: 0, steps: .max))],
            [.goodbye(Goodbye(reason: .finished, message: "done"))],
        ])
        let port = try await learner.start()
        try await client(port: port).run()
        await learner.stop()
        #expect(learner.errorCodes(0) == [WireError.Code.grantExceeded.rawValue])
        #expect(learner.received.count == 2)
    }

    @Test("an Error(timeout) after Welcome (the learner closed a worker it had not heard from during a partition) is a reconnect, not the end of the worker",
          .timeLimit(.minutes(3)))
    func timeoutIsAReconnect() async throws {
        let learner = ScriptedLearner(scripts: [
            [Self.welcome(), Self.weights(), .error(code: WireError.Code.timeout.rawValue, message: "no frame for 60 s")],
            [.error(code: WireError.Code.tooManyConnections.rawValue, message: "full")],
            [.goodbye(Goodbye(reason: .finished, message: "done"))],
        ])
        let port = try await learner.start()
        try await client(port: port).run()
        await learner.stop()
        #expect(learner.received.count == 3)
    }

    @Test("a learner that welcomes, then goes silent without closing (a half-open connection): the worker closes it after three heartbeat intervals and reconnects",
          .timeLimit(.minutes(3)))
    func silentLearnerIsAReconnect() async throws {
        guard case .welcome(var w) = Self.welcome() else { return }
        w.heartbeatIntervalMilliseconds = 200  // silence limit: max(1 s, 3 × 200 ms)
        let learner = ScriptedLearner(scripts: [
            [.welcome(w), Self.weights()],
            [.goodbye(Goodbye(reason: .finished, message: "done"))],
        ])
        let port = try await learner.start()
        try await client(port: port).run()
        await learner.stop()
        // Without its own timeout the worker would wait on the first connection for ever (the test's time limit).
        #expect(learner.received.count == 2)
    }

    @Test("a Welcome whose env_setup names something that is not a module:function path: the worker answers invalidValue and stops saying why, before it starts any Python",
          .timeLimit(.minutes(2)))
    func unreadableSetup() async throws {
        guard case .welcome(var w) = Self.welcome() else { Issue.record("no Welcome"); return }
        w.envID = "gym:CartPole-v1"
        w.envSetup = #"{"register":["os.system('touch /tmp/x')"],"wrappers":[]}"#
        let learner = ScriptedLearner(scripts: [[.welcome(w)]])
        let port = try await learner.start()
        await #expect {
            try await client(port: port).run()
        } throws: { error in
            "\(error)".contains("environment setup cannot be used") && "\(error)".contains("module:function")
        }
        await learner.stop()
        #expect(learner.errorCodes(0) == [WireError.Code.invalidValue.rawValue])
    }

    @Test("a learner that says Goodbye (the run is finished) and closes while the worker collects a grant: the worker ends as told, though its batch can no longer be sent, instead of reconnecting to a finished run",
          .timeLimit(.minutes(2)))
    func goodbyeWhileCollecting() async throws {
        let learner = ScriptedLearner(scripts: [
            [Self.welcome(), Self.weights(), .grant(Grant(grantID: 1, policyVersion: 0, steps: 25)),
             .goodbye(Goodbye(reason: .finished, message: "done"))],
        ], closesAfterScript: .milliseconds(200))
        let port = try await learner.start()
        // 25 steps of 20 ms: the learner's end of the connection arrives while the worker collects.
        try await WorkerClient(options: WorkerOptions(
            host: "127.0.0.1", port: port, tls: nil, workerID: "target", envs: 2, initialBackoff: .milliseconds(10),
            maxBackoff: .milliseconds(50), maxAttempts: 5, welcomeTimeout: .seconds(5), stepDelay: .milliseconds(20))).run()
        await learner.stop()
        #expect(learner.received.count == 1, "the worker reconnected \(learner.received.count - 1) times")
    }

    @Test("a Grant of the version before the one just loaded (a policy lag of 1) is collected with that version's policy; a Grant of a version the worker never held is skipped",
          .timeLimit(.minutes(3)))
    func grantOfThePreviousVersion() async throws {
        guard case .weights(let uniform) = Self.weights() else { return }
        // Version 0: every parameter 0.01, so both actions' logits are equal and every log-prob is log ½.
        // Version 1: varied parameters, so they are not.
        let varied = Weights(policyVersion: 1, parameters: uniform.parameters.indices.map { Float($0 % 7 - 3) * 0.1 }, normalizer: nil)
        let learner = ScriptedLearner(scripts: [
            [Self.welcome(), .weights(uniform), .weights(varied),
             .grant(Grant(grantID: 1, policyVersion: 0, steps: 4)), .grant(Grant(grantID: 2, policyVersion: 1, steps: 4)),
             .grant(Grant(grantID: 3, policyVersion: 7, steps: 4)), .goodbye(Goodbye(reason: .finished, message: "done"))],
        ])
        let port = try await learner.start()
        try await client(port: port).run()
        await learner.stop()
        let batches = learner.received[0].compactMap { if case .batch(let b) = $0 { b } else { nil } }
        #expect(batches.map(\.grantID) == [1, 2])
        #expect(batches.map(\.batch.policyVersion) == [0, 1])
        let half = Float(log(0.5))
        #expect(batches.first?.batch.logProbs.allSatisfy { abs($0 - half) < 1e-6 } == true, "grant 1 was not collected with version 0")
        #expect(batches.last?.batch.logProbs.contains { abs($0 - half) > 1e-3 } == true, "grant 2 was not collected with version 1")
    }

    @Test("the largest grant follows from the frame limit: the worst-case Batch of that many steps fits, one more step would not")
    func largestGrant() {
        let steps = BatchMessage.maxSteps(envs: 8, observationSize: 4, head: .categorical(segments: [2]))
        let perTransition = 4 * 4 + 1 + 4 + 1 + 4 + 4 + 4 + 12
        #expect(64 + 8 * 4 + 8 * steps * perTransition <= WireLimits.default.maxDecodedBytes)
        #expect(64 + 8 * 4 + 8 * (steps + 1) * perTransition > WireLimits.default.maxDecodedBytes)
    }
}
