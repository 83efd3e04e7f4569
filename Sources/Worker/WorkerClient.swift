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
///
/// The loop that connects the parts: ``WorkerSession`` decides each connection's conversation, ``SessionDriver``
/// carries it out, ``ReconnectPolicy`` decides what follows its end, and ``SessionEnding`` says which connection
/// failures are for good (from `TransportSecurity`'s ``LearnerConnectionFailure``).
public final class WorkerClient: Sendable {
    public let options: WorkerOptions
    let logger: Logger
    /// A Gymnasium bridge kept from one connection to the next (starting Python and the env's module takes time).
    let environments = EnvironmentHolder()

    public init(options: WorkerOptions, logger: Logger = Logger(label: "ppo.worker")) {
        self.options = options
        self.logger = logger
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
        let hello = try makeHello()
        var policy = ReconnectPolicy(
            options: options, seed: CollectorStreams(runSeed: 0, collector: options.workerID, session: 0).environmentSeed)
        var sessions: UInt64 = 0
        while true {
            let ending: SessionEnding
            do {
                ending = try await session(group: group, index: sessions, hello: hello)
            } catch {
                ending = .connectionFailed(error, host: options.host, port: options.port)
            }
            sessions += 1
            switch policy.decide(ending, delivered: environments.takeDelivered()) {
            case .exit:
                logger.info("the learner says training is finished; exiting")
                return
            case .fail(let error):
                throw error
            case .restartEnvironment(let count, let reason):
                logger.error("environment failed: \(reason); its grants went back to the learner; restarting it (\(count) in a row; the worker gives up at \(options.maxEnvironmentFailures))")
            case .retry(let delay, let reason):
                logger.warning("\(reason); reconnecting in \(String(format: "%.1f", Double(delay.wholeNanoseconds) / 1e9)) s")
                try await Task.sleep(for: delay)
            }
        }
    }

    /// The Hello this worker opens every connection with; it names the environment it insists on (`--env`).
    private func makeHello() throws -> Hello {
        var envID = "", signature: UInt64 = 0
        if let id = options.envID {
            let selection = EnvironmentSelection(id: id, arguments: options.envArguments, setup: options.envSetup)
            let spec = try EnvironmentCatalog.spec(for: selection, bridge: options.bridge)
            envID = spec.id
            signature = spec.signature(selection)
        }
        return Hello(workerID: options.workerID, envID: envID, envSignature: signature, numEnvs: UInt16(options.envs))
    }

    /// One connection, from Hello until the learner (or the connection) ends it.
    func session(group: EventLoopGroup, index: UInt64, hello: Hello) async throws -> SessionEnding {
        let channel = try await connect(group: group)
        let machine = WorkerSession(hello: hello, learner: "\(options.host):\(options.port)", welcomeTimeout: options.welcomeTimeout)
        let preparation = SessionPreparation(options: options, environments: environments)
        let logger = self.logger
        return try await channel.executeThenClose { inbound, outbound in
            try await SessionDriver(machine: machine, inbound: inbound, outbound: outbound, channel: channel.channel,
                                    preparation: preparation, index: index, logger: logger).run()
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
}
