import Dispatch
import Environments
import Foundation
import GymBridge
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PPOCore
import Training
import Wire


/// `ppo-worker`: connects to the learner, receives the policy snapshot, collects what it is granted and sends
/// it back (PROTOCOL.md §3.1); reconnects with exponential backoff and jitter when the connection drops.
public final class WorkerClient: Sendable {
    public let options: WorkerOptions
    let logger: Logger
    /// Describes a connection failure in one sentence (TLS-aware, supplied by the executable).
    let describeFailure: @Sendable (Error) -> String
    /// Whether a connection failure is permanent (a refused certificate): no point in retrying.
    let isPermanent: @Sendable (Error) -> Bool
    /// A Gymnasium bridge kept from one connection to the next (starting Python and the env's module takes time).
    let environments = EnvironmentHolder()

    public init(
        options: WorkerOptions, logger: Logger = Logger(label: "ppo.worker"),
        describeFailure: @escaping @Sendable (Error) -> String = { "\($0)" },
        isPermanent: @escaping @Sendable (Error) -> Bool = { _ in false }
    ) {
        self.options = options
        self.logger = logger
        self.describeFailure = describeFailure
        self.isPermanent = isPermanent
    }

    /// How a connection ended.
    enum Ending: Sendable {
        case finished
        /// The connection ended; `afterWelcome`: it had been established (the backoff starts over).
        case reconnect(String, afterWelcome: Bool = false)
        case refused(String)
        /// The environment failed (raised, died, hung, NaN); the grants went back with the connection.
        case environmentFailed(BridgeFault)
        /// This worker cannot serve the run (it cannot make the learner's environment, or its own differs).
        case unusable(String)
    }

    /// Runs until the learner says the run is finished (returns) or refuses this worker / stays unreachable
    /// (throws `WorkerError`).
    public func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await runSessions(group: group)
            try? await group.shutdownGracefully()
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func runSessions(group: EventLoopGroup) async throws {
        var failures = 0
        var environmentFailures = 0
        var sessions: UInt64 = 0
        let wanted = try wantedSignature()
        var rng = RNG(seed: CollectorStreams(runSeed: 0, collector: options.workerID, session: 0).environmentSeed)
        while true {
            let ending: Ending
            do {
                ending = try await session(group: group, index: sessions, wanted: wanted)
            } catch {
                if let wire = error as? WireError, wire.isTLSMismatch {
                    throw WorkerError.refused("the learner at \(options.host):\(options.port) speaks TLS and this worker was started with --plaintext: give it --tls-dir DIR --cert-name worker-N")
                }
                let sentence = describeFailure(error)
                if isPermanent(error) { throw WorkerError.refused(sentence) }
                ending = .reconnect(sentence)
            }
            sessions += 1
            if case .reconnect(_, true) = ending { failures = 0 }
            if environments.takeDelivered() { environmentFailures = 0 }
            switch ending {
            case .environmentFailed(let fault):
                environmentFailures += 1
                guard environmentFailures < options.maxEnvironmentFailures else {
                    throw WorkerError.local("the environment failed \(environmentFailures) times in a row; the last time: \(fault)")
                }
                logger.error("environment failed: \(fault); its grants went back to the learner; restarting it (\(environmentFailures) in a row; the worker gives up at \(options.maxEnvironmentFailures))")
                continue
            case .finished:
                logger.info("the learner says training is finished; exiting")
                return
            case .refused(let why):
                throw WorkerError.refused(why)
            case .unusable(let why):
                throw WorkerError.local(why)
            case .reconnect(let why, _):
                failures += 1
                if let max = options.maxAttempts, failures >= max {
                    throw WorkerError.unreachable("\(why) (\(failures) attempts)")
                }
                // Exponential backoff with full jitter.
                let base = Double(options.initialBackoff.wholeNanoseconds) * pow(2, Double(min(failures - 1, 16)))
                let capped = min(base, Double(options.maxBackoff.wholeNanoseconds))
                let delay = capped * (0.5 + 0.5 * rng.uniformDouble())
                logger.warning("\(why); reconnecting in \(String(format: "%.1f", delay / 1e9)) s")
                try await Task.sleep(for: .nanoseconds(Int64(delay)))
            }
        }
    }

    /// The environment this worker insists on (`--env`), as Hello names it, or nil.
    private func wantedSignature() throws -> (id: String, signature: UInt64)? {
        guard let id = options.envID else { return nil }
        let selection = EnvironmentSelection(id: id, arguments: options.envArguments)
        let spec = try EnvironmentCatalog.spec(for: selection, bridge: options.bridge)
        return (spec.id, EnvironmentSignature.hash(
            envID: spec.id, arguments: selection.arguments, observationSpace: spec.observationSpace,
            actionSpace: spec.actionSpace, maxEpisodeSteps: spec.maxEpisodeSteps))
    }

    typealias Inbound = NIOAsyncChannelInboundStream<Message>.AsyncIterator
    typealias Outbound = NIOAsyncChannelOutboundWriter<Message>

    /// One connection: Hello, Welcome, Weights, then grants until the learner ends it.
    func session(group: EventLoopGroup, index: UInt64, wanted: (id: String, signature: UInt64)?) async throws -> Ending {
        let options = self.options
        let channel = try await connect(group: group)
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(.hello(Hello(
                workerID: options.workerID, envID: wanted?.id ?? "", envSignature: wanted?.signature ?? 0,
                numEnvs: UInt16(options.envs))))
            var messages = inbound.makeAsyncIterator()
            let welcome: Welcome
            switch try await awaitWelcome(&messages, outbound: outbound, channel: channel.channel) {
            case .welcome(let w): welcome = w
            case .ended(let ending): return ending
            }
            let worker: WorkerState
            switch await prepare(welcome: welcome, session: index) {
            case .success(let prepared): worker = prepared
            case .failure(let refusal):
                try? await outbound.write(.error(WireError(refusal.code, refusal.message)))
                return refusal.ending
            }
            self.logger.info("connected to \(options.host):\(options.port) (run \(welcome.runID), policy version \(welcome.policyVersion), \(options.envs) envs)")
            let heartbeat = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(Int(welcome.heartbeatIntervalMilliseconds)))
                    try await outbound.write(.heartbeat(sentAtNanoseconds: DispatchTime.now().uptimeNanoseconds))
                }
            }
            defer { heartbeat.cancel() }
            let watch = SilenceWatch(
                channel: channel.channel,
                limit: options.silenceLimit(heartbeatInterval: .milliseconds(Int64(welcome.heartbeatIntervalMilliseconds))))
            do {
                return try await serve(&messages, outbound: outbound, worker: worker, maxUnacked: Int(welcome.maxUnackedBatches), watch: watch)
            } catch where watch.fired {
                return watch.ending
            }
        }
    }

    /// TCP (and TLS) to the learner, with the frame codec.
    private func connect(group: EventLoopGroup) async throws -> NIOAsyncChannel<Message, Message> {
        let options = self.options
        return try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(5))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connect(host: options.host, port: options.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    if let tls = options.tls {
                        try ops.addHandler(NIOSSLClientHandler(context: tls, serverHostname: options.serverHostname))
                    }
                    try ops.addHandler(ByteToMessageHandler(MessageDecoder()))
                    try ops.addHandler(MessageToByteHandler(MessageEncoder()))
                    return try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel)
                }
            }
    }

    enum WelcomeOutcome {
        case welcome(Welcome)
        case ended(Ending)
    }

    /// The learner's first message: a Welcome of a version this worker speaks, or why the session ends.
    private func awaitWelcome(_ messages: inout Inbound, outbound: Outbound, channel: Channel) async throws -> WelcomeOutcome {
        let options = self.options
        // Under TLS 1.3 a refused certificate shows only now, at the first read: wait for the Welcome.
        let welcomeDeadline = channel.eventLoop.scheduleTask(in: .nanoseconds(options.welcomeTimeout.wholeNanoseconds)) {
            channel.close(promise: nil)
        }
        defer { welcomeDeadline.cancel() }
        guard let first = try await messages.next() else {
            return .ended(.reconnect("the learner at \(options.host):\(options.port) closed the connection before its Welcome (no answer within \(options.welcomeTimeout))"))
        }
        switch first {
        case .welcome(let w):
            guard WireProtocol.supportedVersions.contains(w.version) else {
                let why = "the learner chose protocol version \(w.version); this worker speaks \(WireProtocol.supportedVersions.lowerBound)–\(WireProtocol.supportedVersions.upperBound)"
                try? await outbound.write(.error(WireError(.unsupportedVersion, why)))
                return .ended(.refused(why))
            }
            return .welcome(w)
        case .error(let code, let text):
            return .ended(Self.ending(forError: code, text, afterWelcome: false))
        case .goodbye(let g):
            return .ended(g.reason == .finished ? .finished : .reconnect("learner: \(g.message)"))
        default:
            return .ended(.refused("the learner sent \(first.type) before Welcome"))
        }
    }

    /// Weights, grants and acks until the learner ends the session. A Ready goes out whenever this worker holds
    /// the current weights and fewer than `maxUnacked` batches are unacknowledged.
    private func serve(_ messages: inout Inbound, outbound: Outbound, worker: WorkerState, maxUnacked: Int, watch: SilenceWatch) async throws -> Ending {
        var unacked = 0
        var readySent = false
        while let message = try await watch.next(&messages) {
            switch message {
            case .weights(let w):
                if let problem = worker.problem(with: w) {
                    try? await outbound.write(.error(WireError(.shapeMismatch, problem)))
                    return .reconnect("the learner sent unusable Weights: \(problem)", afterWelcome: true)
                }
                worker.load(w)
                try await outbound.write(.ready(policyVersion: w.policyVersion))
                readySent = true
            case .grant(let g):
                // A grant of a version this worker no longer holds: the learner revoked it with that version.
                guard worker.holds(g.policyVersion) else { continue }
                if let ending = try await deliver(g, outbound: outbound, worker: worker) { return ending }
                unacked += 1
                readySent = unacked < maxUnacked
                if readySent { try await outbound.write(.ready(policyVersion: worker.version)) }
            case .ack:
                unacked = max(0, unacked - 1)
                if !readySent && unacked < maxUnacked {
                    try await outbound.write(.ready(policyVersion: worker.version))
                    readySent = true
                }
            case .heartbeat:
                continue
            case .goodbye(let g):
                return g.reason == .finished ? .finished : .reconnect("learner: \(g.message)", afterWelcome: true)
            case .error(let code, let text):
                return Self.ending(forError: code, text, afterWelcome: true)
            case .welcome, .hello, .ready, .batch:
                try await outbound.write(.error(WireError(.unexpectedMessage, "\(message.type) after Welcome")))
                return .reconnect("the learner sent an unexpected \(message.type)", afterWelcome: true)
            }
        }
        if watch.fired { return watch.ending }
        return .reconnect("the learner closed the connection", afterWelcome: true)
    }

    /// Collects grant `g` with the current weights and sends its batch; the ending if the grant cannot be served.
    private func deliver(_ g: Grant, outbound: Outbound, worker: WorkerState) async throws -> Ending? {
        if let problem = worker.problem(with: g) {
            try? await outbound.write(.error(WireError(.grantExceeded, problem)))
            return .reconnect("the learner sent an unusable Grant: \(problem)", afterWelcome: true)
        }
        let batch: BatchMessage
        do {
            batch = try await worker.collect(grant: g)
        } catch EnvironmentError.bridge(let fault) where !fault.isPermanent {
            // Nothing of the grant is sent; closing gives it back.
            try? await outbound.write(.error(WireError(.environmentFailed, fault.description)))
            return .environmentFailed(fault)
        }
        try await outbound.write(.batch(batch))
        environments.markDelivered()
        return nil
    }

    /// What an `Error` from the learner means for this worker (PROTOCOL.md §7): only what retrying cannot fix —
    /// a protocol version it does not speak, an environment that is not the learner's — ends it; everything
    /// else (a timeout after a partition, too many connections, a learner shutting down or restarting, a batch
    /// it refused) is a reconnect with the usual backoff.
    static func ending(forError code: UInt16, _ text: String, afterWelcome: Bool) -> Ending {
        let known = WireError.Code(rawValue: code)
        let refusal = "\(known.map { "\($0)" } ?? "error \(code)"): \(text)"
        switch known {
        case .unsupportedVersion, .envMismatch: return .refused(refusal)
        default: return .reconnect("the learner ended the connection with \(refusal)", afterWelcome: afterWelcome)
        }
    }

    /// Why a Welcome cannot be served: the code told to the learner and how the session ends.
    struct Refusal: Error {
        var code: WireError.Code
        var message: String
        var ending: Ending
    }

    /// Builds the policy and the environments a Welcome describes, and checks the environment is the learner's.
    private func prepare(welcome: Welcome, session index: UInt64) async -> Result<WorkerState, Refusal> {
        let options = self.options
        let selection = EnvironmentSelection(id: welcome.envID, arguments: welcome.envArguments)
        let streams = CollectorStreams(runSeed: welcome.seed, collector: options.workerID, session: index)
        let env: any VectorEnvironment
        do {
            env = try environments.take(selection, count: options.envs, seed: streams.environmentSeed, bridge: options.bridge,
                                        stepDelay: options.stepDelay)
        } catch let error as EnvironmentError {
            if case .bridge(let fault) = error, !fault.isPermanent {
                return .failure(Refusal(code: .environmentFailed, message: fault.description, ending: .environmentFailed(fault)))
            }
            let why = "the learner trains \(selection), which this worker cannot run: \(error)"
            return .failure(Refusal(code: .envMismatch, message: why, ending: .unusable(why)))
        } catch {
            return .failure(Refusal(code: .envMismatch, message: "\(error)", ending: .unusable("\(error)")))
        }
        let spec = env.spec
        let signature = EnvironmentSignature.hash(
            envID: spec.id, arguments: selection.arguments, observationSpace: spec.observationSpace,
            actionSpace: spec.actionSpace, maxEpisodeSteps: spec.maxEpisodeSteps)
        guard welcome.envSignature == signature else {
            let why = "this worker's \(selection) is not the learner's: here it is \(EnvironmentSignature.canonical(envID: spec.id, arguments: selection.arguments, observationSpace: spec.observationSpace, actionSpace: spec.actionSpace, maxEpisodeSteps: spec.maxEpisodeSteps)) (install the same package versions on both machines)"
            return .failure(Refusal(code: .envMismatch, message: why, ending: .unusable(why)))
        }
        do {
            let state = try WorkerState(welcome: welcome, env: env, options: options, streams: streams)
            environments.keep(state.collector, selection: selection)
            return .success(state)
        } catch {
            return .failure(Refusal(code: .shapeMismatch, message: "\(error)", ending: .unusable("\(error)")))
        }
    }
}
