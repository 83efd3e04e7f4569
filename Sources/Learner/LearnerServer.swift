import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import Training
import Wire

/// `ppo-learner`: accepts workers over (mutual) TLS, speaks the protocol of `Protocol/PROTOCOL.md` with each,
/// and trains with what they collect.
public final class LearnerServer: Sendable {
    public let options: LearnerOptions
    let core: LearnerCore
    let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let bound = NIOLockedValueBox<(listen: Int?, metrics: Int?)>((nil, nil))
    /// Ends when `stop` is called: what a learner serving after the run's end (`serveAfterFinish`) waits for.
    private let stopped: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation) = AsyncStream<Void>.makeStream()

    public init(options: LearnerOptions, logger: Logger = Logger(label: "ppo.learner")) throws {
        self.options = options
        self.logger = logger
        core = try LearnerCore(options: options, logger: logger)
        // One event loop: every connection's I/O and codec; the training runs on its own thread.
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    }

    /// The port the learner listens on, once `run` has bound it.
    public var listeningPort: Int? { bound.withLockedValue { $0.listen } }
    public var metricsPort: Int? { bound.withLockedValue { $0.metrics } }

    /// Counters so far.
    public func metrics() async -> LearnerMetrics { await core.currentMetrics() }

    /// Stops the run gracefully: finishes an update in progress, checkpoints, says Goodbye to every worker.
    public func stop() async {
        await core.stop()
        stopped.continuation.finish()
    }

    /// The run now, as `/status.json` answers it.
    public func status() async -> RunStatus { await core.status() }

    /// Serves until the run has made all its updates (or `stop` was called, or the calling task was cancelled), and
    /// with `serveAfterFinish` on until `stop`; returns the final counters. `onFinished` gets them as soon as the
    /// run has ended.
    public func run(onListening: @Sendable (Int) -> Void = { _ in },
                    onFinished: @escaping @Sendable (LearnerMetrics) -> Void = { _ in }) async throws -> LearnerMetrics {
        let server: NIOAsyncChannel<Channel, Never>
        var metricsChannel: Channel?
        do {
            metricsChannel = try await startMetrics()
            do {
                server = try await bindWorkers()
            } catch {
                try? await metricsChannel?.close()
                throw error
            }
            let port = server.channel.localAddress?.port ?? options.port
            bound.withLockedValue { $0.listen = port }
            // Only once every port is bound: a taken port is the one line the user sees.
            logger.info("listening on \(options.host):\(port) (\(options.tls == nil ? "plaintext" : "mutual TLS"))")
            onListening(port)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        // A cancelled run stops as `stop()` stops it (the update in progress finishes, a checkpoint, Goodbyes), so
        // that a cancelled caller never leaves a server serving that nobody can stop.
        try await withTaskCancellationHandler {
            try await serveUntilFinished(server, onFinished: onFinished)
        } onCancel: {
            Task { await self.stop() }
        }
        try? await metricsChannel?.close()
        let final = await core.currentMetrics()
        try? await group.shutdownGracefully()
        return final
    }

    /// Listens for workers: TLS (unless plaintext), byte count, idle timeout, frame codec. Accepted connections are
    /// handed over as plain `Channel`s, reading nothing yet (`autoRead` off), and wrapped in a `NIOAsyncChannel`
    /// only by the accept loop (`serve(accepted:…)`): a connection accepted while the listener closes is then
    /// dropped and closed with the event loops, where a `NIOAsyncChannel` made in the child initializer and never
    /// served would trap in `NIOAsyncWriter`'s deinit (swift-nio issue 2813).
    private func bindWorkers() async throws -> NIOAsyncChannel<Channel, Never> {
        let options = self.options
        let tally = core.bytesIn
        return try await ListenFailure.describing(what: "workers", flag: "--port", host: options.host, port: options.port) {
            try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.autoRead, value: false)
                .bind(host: options.host, port: options.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let ops = channel.pipeline.syncOperations
                        if let tls = options.tls {
                            try ops.addHandler(NIOSSLServerHandler(context: tls))
                        }
                        try ops.addHandler(ByteCounter(tally: tally))
                        try ops.addHandler(IdleStateHandler(readTimeout: .nanoseconds(options.idleTimeout.wholeNanoseconds)))
                        try ops.addHandler(ByteToMessageHandler(MessageDecoder(limits: options.limits)))
                        try ops.addHandler(MessageToByteHandler(OutboundFrameEncoder()))
                        try ops.addHandler(IdleToError())
                        return channel
                    }
                }
        }
    }

    /// The `/metrics` endpoint, if asked for.
    private func startMetrics() async throws -> Channel? {
        guard let metricsPort = options.metricsPort else { return nil }
        let (host, group, core, bound) = (options.metricsHost, self.group, self.core, self.bound)
        let channel = try await ListenFailure.describing(what: "metrics", flag: "--metrics-port", host: host, port: metricsPort) {
            try await MetricsEndpoint.start(group: group, host: host, port: metricsPort, core: core,
                                            listening: { bound.withLockedValue { $0.listen != nil } })
        }
        bound.withLockedValue { $0.metrics = channel.localAddress?.port }
        let shown = "http://\(host):\(channel.localAddress?.port ?? metricsPort)"
        logger.info("metrics on \(shown)/metrics")
        logger.info("status page on \(shown)/ (also \(shown)/status.json)")
        return channel
    }

    /// Accepts connections and serves each until the run is over; meanwhile returns overdue grants to the pool.
    private func serveUntilFinished(_ server: NIOAsyncChannel<Channel, Never>,
                                    onFinished: @escaping @Sendable (LearnerMetrics) -> Void) async throws {
        let (core, options, logger, stopped) = (self.core, self.options, self.logger, self.stopped.stream)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // Grants not delivered in time go back to the pool, once a second until the run ends (at once then:
                // the server's end waits for this task).
                await withTaskGroup(of: Void.self) { expiry in
                    expiry.addTask {
                        while !Task.isCancelled {
                            try? await Task.sleep(for: .seconds(1))
                            if Task.isCancelled { break }
                            await core.expireGrants()
                        }
                    }
                    expiry.addTask { await core.waitUntilFinished() }
                    _ = await expiry.next()
                    expiry.cancelAll()
                }
            }
            group.addTask {
                await core.waitUntilFinished()
                onFinished(await core.currentMetrics())
                if options.serveAfterFinish {
                    logger.info("the run has ended; serving its status, and telling workers it is finished, until stopped")
                    for await _ in stopped {}
                }
                // Give the Goodbyes a moment to leave, then stop accepting.
                try? await Task.sleep(for: .milliseconds(200))
                try? await server.channel.close()
            }
            let cap = ConnectionCap(maxConnections: options.maxConnections, allowance: Self.handshakeAllowance, core: core, logger: logger)
            try await server.executeThenClose { inbound in
                for try await channel in inbound {
                    guard await cap.admit(channel) else { continue }
                    guard let connection = await Self.wrap(channel) else {
                        cap.release()
                        continue
                    }
                    group.addTask {
                        await LearnerConnection.serve(connection, core: core, options: options, logger: logger)
                        cap.release()
                    }
                }
            }
        }
    }

    /// An accepted connection as a `NIOAsyncChannel`, reading from now on; nil (and closed) if it closed meanwhile.
    private static func wrap(_ channel: Channel) async -> NIOAsyncChannel<Message, OutboundFrame>? {
        do {
            return try await channel.eventLoop.submit {
                // On the event loop nothing can close the pipeline between this check and the handler's addition,
                // which cannot fail on an open one (a writer made and then dropped would trap).
                guard channel.isActive else { throw ChannelError.ioOnClosedChannel }
                let connection = try NIOAsyncChannel<Message, OutboundFrame>(wrappingChannelSynchronously: channel)
                // If this failed the connection would read nothing and be closed by its idle timeout.
                try? channel.syncOptions?.setOption(.autoRead, value: true)
                return connection
            }.get()
        } catch {
            try? await channel.close()
            return nil
        }
    }

    /// Connections allowed beyond `maxConnections` while they do their TLS handshake and Hello.
    static let handshakeAllowance = 64
}
