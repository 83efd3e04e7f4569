import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
@testable import Wire

/// A hand-driven peer of a learner process: connects (over TLS when given a handler, else plain TCP), writes
/// whatever bytes a test wants and reads back what the learner sends. Its I/O runs on its own event loop; the
/// test polls with `Task.sleep`, so nothing blocks the threads other tests run on.
final class TLSPeer: Sendable {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    enum Next: Equatable {
        case message(Message)
        /// The learner closed the connection (after everything it sent was read).
        case closed
        /// Nothing within the wait.
        case silent
    }

    let channel: Channel
    private let inbox: Inbox

    init(port: Int, tls: (@Sendable () throws -> NIOSSLClientHandler)?) async throws {
        let inbox = Inbox()
        self.inbox = inbox
        channel = try await ClientBootstrap(group: Self.group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(tls()) }
                    try channel.pipeline.syncOperations.addHandler(Collector(inbox: inbox))
                }
            }
            .connect(host: "127.0.0.1", port: port).get()
    }

    deinit { channel.close(promise: nil) }

    func send(_ bytes: [UInt8]) async {
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        try? await channel.writeAndFlush(buffer).get()
    }

    func send(_ message: Message, compression: Frame.CompressionPolicy = .default) async {
        var b = Frame.encode(message, compression: compression)
        await send(b.readBytes(length: b.readableBytes) ?? [])
    }

    /// The next message from the learner, or whether it closed or stayed silent for `timeout` seconds.
    func receive(timeout: Double = 30) async -> Next {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            switch inbox.next() {
            case .some(let m): return .message(m)
            case .none where inbox.isClosed: return .closed
            case .none where Date() >= deadline: return .silent
            case .none: await pause(0.01)
            }
        }
    }

    /// Reads until an Error message arrives (its code) and then until the connection closes.
    func errorThenClose(timeout: Double = 30) async -> (code: WireError.Code?, closed: Bool) {
        var code: WireError.Code?
        while true {
            switch await receive(timeout: timeout) {
            case .message(.error(let c, _)): code = WireError.Code(rawValue: c)
            case .message: continue
            case .closed: return (code, true)
            case .silent: return (code, false)
            }
        }
    }

    /// Hello, then the Welcome and Weights, then Ready until a Grant comes.
    func handshake(workerID: String, envs: Int = 2) async -> (welcome: Welcome, grant: Grant)? {
        await send(.hello(Hello(workerID: workerID, envID: "", envSignature: 0, numEnvs: UInt16(envs))))
        guard case .message(.welcome(let w)) = await receive(), case .message(.weights(let weights)) = await receive() else { return nil }
        await send(.ready(policyVersion: weights.policyVersion))
        while case .message(let m) = await receive() {
            switch m {
            case .grant(let g): return (w, g)
            case .weights(let newer): await send(.ready(policyVersion: newer.policyVersion))
            default: continue
            }
        }
        return nil
    }

    /// What the learner sent, decoded as frames arrive; a frame that does not decode counts as the end.
    final class Inbox: Sendable {
        private let state = NIOLockedValueBox<(bytes: ByteBuffer, closed: Bool, broken: Bool)>((ByteBuffer(), false, false))

        func append(_ b: inout ByteBuffer) { state.withLockedValue { _ = $0.bytes.writeBuffer(&b) } }
        func close() { state.withLockedValue { $0.closed = true } }
        var isClosed: Bool { state.withLockedValue { $0.closed || $0.broken } }

        func next() -> Message? {
            state.withLockedValue { s in
                do {
                    return try Frame.decode(from: &s.bytes, limits: .default)
                } catch {
                    s.broken = true
                    return nil
                }
            }
        }
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let inbox: Inbox
        init(inbox: Inbox) { self.inbox = inbox }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var b = Self.unwrapInboundIn(data)
            inbox.append(&b)
        }

        func channelInactive(context: ChannelHandlerContext) {
            inbox.close()
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            inbox.close()
            context.close(promise: nil)
        }
    }
}
