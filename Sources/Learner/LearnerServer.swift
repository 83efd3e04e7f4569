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
    public func stop() async { await core.stop() }

    /// Serves until the run has made all its updates (or `stop` was called); returns the final counters.
    public func run(onListening: @Sendable (Int) -> Void = { _ in }) async throws -> LearnerMetrics {
        let core = self.core
        let options = self.options
        let logger = self.logger
        let tally = core.bytesIn
        let group = self.group
        let server: NIOAsyncChannel<NIOAsyncChannel<Message, OutboundFrame>, Never>
        do {
            server = try await ListenFailure.describing(what: "workers", flag: "--port", host: options.host, port: options.port) {
                try await ServerBootstrap(group: group)
                    .serverChannelOption(.backlog, value: 256)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
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
                            return try NIOAsyncChannel<Message, OutboundFrame>(wrappingChannelSynchronously: channel)
                        }
                    }
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        let port = server.channel.localAddress?.port ?? options.port
        bound.withLockedValue { $0.listen = port }
        logger.info("listening on \(options.host):\(port) (\(options.tls == nil ? "plaintext" : "mutual TLS"))")

        var metricsChannel: Channel?
        if let metricsPort = options.metricsPort {
            let channel: Channel
            do {
                channel = try await ListenFailure.describing(what: "metrics", flag: "--metrics-port", host: options.metricsHost, port: metricsPort) {
                    try await MetricsEndpoint.start(group: group, host: options.metricsHost, port: metricsPort, core: core)
                }
            } catch {
                try? await server.channel.close()
                try? await group.shutdownGracefully()
                throw error
            }
            metricsChannel = channel
            bound.withLockedValue { $0.metrics = channel.localAddress?.port }
            logger.info("metrics on http://\(options.metricsHost):\(channel.localAddress?.port ?? metricsPort)/metrics")
        }
        onListening(port)

        try await withThrowingDiscardingTaskGroup { group in
            group.addTask {
                // Grants not delivered in time go back to the pool.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if await core.isFinished { break }
                    await core.expireGrants()
                }
            }
            group.addTask {
                await core.waitUntilFinished()
                // Give the Goodbyes a moment to leave, then stop accepting.
                try? await Task.sleep(for: .milliseconds(200))
                try? await server.channel.close()
            }
            // Connections open in any state (TLS handshake, waiting for Hello, serving): at most the workers'
            // limit plus a few in their handshake, so that connections without a certificate or a Hello cannot
            // use up the learner's file descriptors. The rest are closed as soon as they are accepted.
            let open = NIOLockedValueBox(0)
            let warned = NIOLockedValueBox(false)
            let cap = options.maxConnections + Self.handshakeAllowance
            try await server.executeThenClose { inbound in
                for try await connection in inbound {
                    guard open.withLockedValue({ n in n += 1; return n }) <= cap else {
                        open.withLockedValue { $0 -= 1 }
                        try? await connection.channel.close()
                        await core.countRejected(WireError(.tooManyConnections, "over \(cap) connections open"))
                        if !warned.withLockedValue({ w in defer { w = true }; return w }) {
                            logger.warning("over \(cap) connections open (--max-connections \(options.maxConnections) and \(Self.handshakeAllowance) in their handshake): closing new ones at once; see ppo_frames_rejected_total{reason=\"tooManyConnections\"}")
                        }
                        continue
                    }
                    group.addTask {
                        await Self.serve(connection, core: core, options: options, logger: logger)
                        open.withLockedValue { $0 -= 1 }
                    }
                }
            }
        }
        try? await metricsChannel?.close()
        let final = await core.currentMetrics()
        try? await self.group.shutdownGracefully()
        return final
    }

    /// Connections allowed beyond `maxConnections` while they do their TLS handshake and Hello.
    static let handshakeAllowance = 64

    /// One connection, start to end (§3.2).
    static func serve(_ connection: NIOAsyncChannel<Message, OutboundFrame>, core: LearnerCore, options: LearnerOptions, logger: Logger) async {
        let peer = connection.channel.remoteAddress?.description ?? "unknown peer"
        let (queue, outbound) = AsyncStream<OutboundFrame>.makeStream()
        var sessionID: Int?
        var endReason = "closed by the worker"
        do {
            try await connection.executeThenClose { inbound, writer in
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    // Writer: drains the session's queue; ends after an Error or Goodbye, or when the queue ends.
                    let channel = connection.channel
                    tasks.addTask {
                        for await frame in queue {
                            try await writer.write(frame)
                            if case .message(.error) = frame { break }
                            if case .message(.goodbye) = frame { break }
                        }
                        // The session is over (Goodbye, Error, or the worker left): close, so that a peer that
                        // stays silent cannot keep the connection open.
                        try? await channel.close()
                    }
                    var messages = inbound.makeAsyncIterator()
                    // Hello deadline: if no Hello has arrived by then, say so and close.
                    let helloSeen = NIOLockedValueBox(false)
                    let deadline = channel.eventLoop.scheduleTask(in: .nanoseconds(options.helloTimeout.wholeNanoseconds)) {
                        guard !helloSeen.withLockedValue({ $0 }) else { return }
                        logger.warning("\(peer): no Hello within \(options.helloTimeout); closing the connection")
                        Task { await core.countRejected(WireError(.timeout, "hello deadline")) }
                        channel.writeAndFlush(OutboundFrame.message(.error(WireError(.timeout, "no Hello within \(options.helloTimeout)"))))
                            .whenComplete { _ in channel.close(promise: nil) }
                    }
                    defer { deadline.cancel() }
                    do {
                        let first = try await messages.next()
                        helloSeen.withLockedValue { $0 = true }
                        guard let first else {
                            // Closed before a Hello: by the peer, or by the Hello deadline (logged and counted there).
                            throw WireError(.truncated, "the connection closed before Hello")
                        }
                        guard case .hello(let hello) = first else {
                            throw WireError(.unexpectedMessage, "the first message must be Hello, got \(first.type)")
                        }
                        switch await core.register(hello: hello, outbound: outbound) {
                        case .failure(let error): throw error
                        case .success(let id): sessionID = id
                        }
                        while let message = try await messages.next() {
                            guard let id = sessionID else { break }
                            if case .close(let error) = await core.handle(message, session: id) {
                                if error.code != .shuttingDown { throw error }
                                endReason = error.detail
                                break
                            }
                        }
                        outbound.finish()
                    } catch let error as WireError {
                        endReason = "\(error)"
                        if error.code != .truncated && error.code != .shuttingDown {
                            logger.warning("\(peer): \(error); closing the connection")
                            await core.countRejected(error)
                        }
                        outbound.yield(.message(.error(error)))
                        outbound.finish()
                    }
                    try await tasks.next()
                    tasks.cancelAll()
                }
            }
        } catch {
            endReason = Self.describe(error)
            if sessionID == nil {
                logger.warning("\(peer): connection failed before Hello: \(endReason)")
            }
        }
        if let id = sessionID {
            await core.unregister(session: id, reason: endReason)
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? NIOSSLError { return "TLS: \(e)" }
        if let e = error as? BoringSSLError { return "TLS: \(e)" }
        return "\(error)"
    }
}

/// The learner could not listen: which address, and why in words (the port is taken, the address is not this
/// machine's, the port needs privileges).
public struct ListenFailure: Error, CustomStringConvertible {
    public let what: String
    public let host: String
    public let port: Int
    public let reason: String

    public var description: String { "cannot listen for \(what) on \(host):\(port): \(reason)" }

    static func describing<T>(what: String, flag: String, host: String, port: Int, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as IOError {
            let reason = switch error.errnoCode {
            case EADDRINUSE: "the port is in use (by another learner or another program); choose another with \(flag)"
            case EADDRNOTAVAIL: "that address is not one of this machine's (use 0.0.0.0 for every interface)"
            case EACCES: "ports below 1024 need privileges; choose a port above 1023"
            default: "\(error)"
            }
            throw ListenFailure(what: what, host: host, port: port, reason: reason)
        } catch let error as SocketAddressError {
            throw ListenFailure(what: what, host: host, port: port, reason: "\(error) (give an IP address or a name this machine resolves)")
        }
    }
}

/// Turns a read timeout into a `timeout` protocol error on the inbound stream.
final class IdleToError: ChannelInboundHandler, Sendable {
    typealias InboundIn = Message
    typealias InboundOut = Message

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.fireErrorCaught(WireError(.timeout, "nothing received for the idle timeout"))
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}

/// Counts the bytes received on every connection, for `/metrics`.
final class ByteCounter: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let tally: NIOLockedValueBox<Int>

    init(tally: NIOLockedValueBox<Int>) { self.tally = tally }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let n = Self.unwrapInboundIn(data).readableBytes
        tally.withLockedValue { $0 += n }
        context.fireChannelRead(data)
    }
}
