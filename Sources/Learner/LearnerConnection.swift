import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOSSL
import TransportSecurity
import Wire

/// One worker's connection, start to end (PROTOCOL.md §3.2): the Hello deadline, registration, then every message
/// handed to `LearnerCore`, while a writer drains the session's outbound queue.
enum LearnerConnection {
    static func serve(_ connection: NIOAsyncChannel<Message, OutboundFrame>, core: LearnerCore, options: LearnerOptions, logger: Logger) async {
        let peer = address(of: connection.channel)
        let (queue, outbound) = AsyncStream<OutboundFrame>.makeStream()
        // endReason: the first explanation of the session's end wins (nil: the worker closed it).
        let session = NIOLockedValueBox<(id: Int?, endReason: String?)>((nil, nil))
        do {
            try await connection.executeThenClose { inbound, writer in
                try await withThrowingTaskGroup(of: Void.self) { tasks in
                    let channel = connection.channel
                    tasks.addTask { try await drain(queue, to: writer, closing: channel) }
                    let deadline = helloDeadline(channel, peer: peer, core: core, options: options, logger: logger)
                    defer { deadline.cancel() }
                    var messages = inbound.makeAsyncIterator()
                    do {
                        try await converse(&messages, peer: peer, deadline: deadline, outbound: outbound, core: core, session: session)
                    } catch let error as WireError {
                        session.withLockedValue { $0.endReason = "\(error)" }
                        if error.code != .truncated && error.code != .shuttingDown {
                            logger.warning("\(peer): \(error); closing the connection")
                            await core.countRejected(error)
                        }
                        outbound.yield(.message(.error(error)))
                    }
                    outbound.finish()
                    try await tasks.next()
                    tasks.cancelAll()
                }
            }
        } catch {
            let reason = describe(error)
            // A protocol error already named the end (the write of its Error frame may fail after it): keep that.
            let registered = session.withLockedValue { s in
                s.endReason = s.endReason ?? reason
                return s.id != nil
            }
            if !registered { logger.warning("\(peer): connection failed before Hello: \(reason)") }
        }
        let (id, reason) = session.withLockedValue { ($0.id, $0.endReason ?? "closed by the worker") }
        if let id { await core.unregister(session: id, reason: reason) }
    }

    /// How long a connection stays open after its Goodbye for the worker to close it first.
    static let goodbyeLinger = TimeAmount.seconds(2)

    /// Writes the session's queue; ends after an Error or Goodbye, or when the queue ends. The session is then
    /// over, so the connection is closed: a peer that stays silent cannot keep it open. After a Goodbye the close
    /// waits up to `goodbyeLinger` while the worker, which closes once it has read the Goodbye, may still be
    /// sending a batch (read and dropped meanwhile): a socket closed with unread bytes sends a reset, and a reset
    /// can discard the Goodbye before the worker reads it — the worker would then reconnect to a finished run.
    static func drain(_ queue: AsyncStream<OutboundFrame>, to writer: NIOAsyncChannelOutboundWriter<OutboundFrame>, closing channel: Channel) async throws {
        for await frame in queue {
            try await writer.write(frame)
            if case .message(.error) = frame { break }
            if case .message(.goodbye) = frame {
                channel.eventLoop.scheduleTask(in: goodbyeLinger) { channel.close(promise: nil) }
                return
            }
        }
        try? await channel.close()
    }

    /// If no Hello has arrived within the hello timeout, says so and closes. `succeed()` when it arrives.
    static func helloDeadline(_ channel: Channel, peer: String, core: LearnerCore, options: LearnerOptions, logger: Logger) -> HelloDeadline {
        let seen = NIOLockedValueBox(false)
        let task = channel.eventLoop.scheduleTask(in: .nanoseconds(options.helloTimeout.wholeNanoseconds)) {
            guard !seen.withLockedValue({ $0 }) else { return }
            logger.warning("\(peer): no Hello within \(options.helloTimeout); closing the connection")
            Task { await core.countRejected(WireError(.timeout, "hello deadline")) }
            channel.writeAndFlush(OutboundFrame.message(.error(WireError(.timeout, "no Hello within \(options.helloTimeout)"))))
                .whenComplete { _ in channel.close(promise: nil) }
        }
        return HelloDeadline(seen: seen, task: task)
    }

    struct HelloDeadline {
        let seen: NIOLockedValueBox<Bool>
        let task: Scheduled<Void>
        func succeed() { seen.withLockedValue { $0 = true } }
        func cancel() { task.cancel() }
    }

    /// Hello, registration, then each message to the core until the connection or the session ends.
    static func converse(
        _ messages: inout NIOAsyncChannelInboundStream<Message>.AsyncIterator, peer: String, deadline: HelloDeadline,
        outbound: AsyncStream<OutboundFrame>.Continuation, core: LearnerCore, session: NIOLockedValueBox<(id: Int?, endReason: String?)>
    ) async throws {
        let first = try await messages.next()
        deadline.succeed()
        guard let first else {
            // Closed before a Hello: by the peer, or by the Hello deadline (logged and counted there).
            throw WireError(.truncated, "the connection closed before Hello")
        }
        guard case .hello(let hello) = first else {
            throw WireError(.unexpectedMessage, "the first message must be Hello, got \(first.type)")
        }
        let id: Int
        switch await core.register(hello: hello, peer: peer, outbound: outbound) {
        case .refused(let error): throw error
        case .ended(let goodbye):
            outbound.yield(.message(.goodbye(goodbye)))
            session.withLockedValue { $0.endReason = goodbye.message }
            return
        case .session(let registered): id = registered
        }
        session.withLockedValue { $0.id = id }
        while let message = try await messages.next() {
            if case .heartbeat = message {
                // Echoed here, not by the core, so a worker hears a live learner even while an update runs (§3.3).
                outbound.yield(.message(message))
                // Noted for the status page without waiting for the core: the next frame is read at once.
                Task { await core.heard(session: id) }
                continue
            }
            if case .close(let error) = await core.handle(message, session: id) {
                if error.code != .shuttingDown { throw error }
                session.withLockedValue { $0.endReason = error.detail }
                return
            }
        }
    }

    /// The peer as `IP:PORT` (what the status page lists), or NIO's description of an address without an IP.
    static func address(of channel: Channel) -> String {
        guard let a = channel.remoteAddress else { return "unknown peer" }
        guard let ip = a.ipAddress, let port = a.port else { return a.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    static func describe(_ error: Error) -> String {
        WorkerConnectionFailure.sentence(for: error) ?? "\(error)"
    }
}
