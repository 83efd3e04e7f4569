import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import TransportSecurity

/// A fresh directory under the system's temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("ppo-tls-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// Bytes the test server sends as soon as a connection is usable (after the TLS handshake with TLS): the stand-in
/// for the learner's Welcome.
let greeting: [UInt8] = Array("WELCOME from the learner\n".utf8)

/// How long any one connection attempt may take before the test calls it a hang. A connection takes milliseconds;
/// the margin is for a 2-core machine running the whole test suite (training tests included) in parallel.
let connectionDeadline = TimeAmount.seconds(10)

struct TimedOut: Error, CustomStringConvertible {
    var description: String { "no answer within \(connectionDeadline.nanoseconds / 1_000_000_000) s" }
}

/// What the server saw on its one connection.
enum ServerOutcome: Sendable {
    /// The greeting was written (with TLS: the handshake completed, the client was accepted).
    case greeted
    /// The connection failed (with TLS: the handshake error).
    case failed(any Error)
    case timedOut
}

/// A tiny "learner": a listening socket on 127.0.0.1, port chosen by the kernel, whose every connection gets
/// `greeting` as soon as it is active and then has everything it sends echoed back. With `tls`, NIOSSL sits first in
/// the pipeline and buffers the greeting until the handshake completes.
final class GreetingServer: Sendable {
    let channel: any Channel
    let firstConnection: EventLoopPromise<ServerOutcome>

    var port: Int { channel.localAddress?.port ?? 0 }

    init(tls: LearnerTLS?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws {
        let promise = group.next().makePromise(of: ServerOutcome.self)
        firstConnection = promise
        channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    if let tls { try child.pipeline.syncOperations.addHandler(tls.makeServerHandler()) }
                    try child.pipeline.syncOperations.addHandler(GreetingHandler(outcome: promise))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        channel.eventLoop.scheduleTask(in: connectionDeadline) { promise.succeed(.timedOut) }
    }

    /// The outcome of the first connection (or `.timedOut`).
    func outcome() async -> ServerOutcome {
        (try? await firstConnection.futureResult.get()) ?? .timedOut
    }

    func close() async {
        try? await channel.close()
    }
}

private final class GreetingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let outcome: EventLoopPromise<ServerOutcome>

    init(outcome: EventLoopPromise<ServerOutcome>) { self.outcome = outcome }

    func channelActive(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: greeting)), promise: promise)
        let outcome = self.outcome
        promise.futureResult.whenComplete { result in
            switch result {
            case .success: outcome.succeed(.greeted)
            case .failure(let error): outcome.succeed(.failed(error))
            }
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.writeAndFlush(data, promise: nil)  // echo
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.succeed(.failed(error))
        context.close(promise: nil)
    }
}

/// What a client saw: the greeting (and the echo of what it sent), a closed connection, an error, or nothing.
enum ClientOutcome: Sendable, CustomStringConvertible {
    case greeted(echo: [UInt8])
    case closed(received: [UInt8])
    case failed(any Error)
    case timedOut

    var description: String {
        switch self {
        case .greeted(let echo): "greeted, echo \(String(decoding: echo, as: UTF8.self).debugDescription)"
        case .closed(let received): "closed after \(received.count) bytes"
        case .failed(let error): "failed: \(String(reflecting: error))"
        case .timedOut: "timed out"
        }
    }

    var error: (any Error)? {
        if case .failed(let error) = self { return error }
        return nil
    }
}

/// A tiny "worker": connects to 127.0.0.1:`port`, optionally sends `hello` at once (plaintext clients), waits for
/// the server's greeting, then sends `payload` and waits for its echo. Never waits longer than `connectionDeadline`.
///
/// `makeTLSHandler` runs on the channel's event loop (NIOSSL handlers are not Sendable).
func runClient(
    port: Int, hello: [UInt8] = [], payload: [UInt8] = Array("ping".utf8),
    group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
    makeTLSHandler: (@Sendable () throws -> any ChannelHandler)?
) async -> ClientOutcome {
    let loop = group.next()
    let outcome = loop.makePromise(of: ClientOutcome.self)
    loop.scheduleTask(in: connectionDeadline) { outcome.succeed(.timedOut) }
    let connect = ClientBootstrap(group: loop)
        .connectTimeout(connectionDeadline)
        .channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                if let makeTLSHandler { try channel.pipeline.syncOperations.addHandler(makeTLSHandler()) }
                try channel.pipeline.syncOperations.addHandler(
                    GreetingReader(hello: hello, payload: payload, outcome: outcome))
            }
        }
        .connect(host: "127.0.0.1", port: port)
    connect.whenFailure { outcome.succeed(.failed($0)) }
    let result = (try? await outcome.futureResult.get()) ?? .timedOut
    if let channel = try? await connect.get() { try? await channel.close() }
    return result
}

private final class GreetingReader: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let hello: [UInt8]
    let payload: [UInt8]
    let outcome: EventLoopPromise<ClientOutcome>
    var received: [UInt8] = []
    var sentPayload = false

    init(hello: [UInt8], payload: [UInt8], outcome: EventLoopPromise<ClientOutcome>) {
        self.hello = hello
        self.payload = payload
        self.outcome = outcome
    }

    func channelActive(context: ChannelHandlerContext) {
        if !hello.isEmpty { context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: hello)), promise: nil) }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        received += buffer.readBytes(length: buffer.readableBytes) ?? []
        if !sentPayload, received.starts(with: greeting) {
            sentPayload = true
            context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: payload)), promise: nil)
        }
        if received.count >= greeting.count + payload.count {
            if received.starts(with: greeting) {
                outcome.succeed(.greeted(echo: Array(received.dropFirst(greeting.count))))
            } else {
                outcome.succeed(.closed(received: received))
            }
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        outcome.succeed(.closed(received: received))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.succeed(.failed(error))
        context.close(promise: nil)
    }
}
