import NIOCore
import NIOPosix

/// A minimal HTTP/1.1 endpoint: answers any request with the learner's metrics in the Prometheus text format
/// (`GET /metrics`), then closes the connection. A connection that sends no request within `requestTimeout`
/// is closed, so idle connections cannot pile up in the learner's process.
enum MetricsEndpoint {
    static let requestTimeout = TimeAmount.seconds(5)

    static func start(group: EventLoopGroup, host: String, port: Int, core: LearnerCore) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: requestTimeout))
                    try channel.pipeline.syncOperations.addHandler(MetricsHandler(core: core))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let core: LearnerCore
    /// One answer per connection, however many reads the request takes.
    private var answered = false

    init(core: LearnerCore) { self.core = core }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !answered else { return }
        answered = true
        let request = Self.unwrapInboundIn(data)
        // One read holds the request line of any sane client; only the path matters.
        let line = request.getString(at: request.readerIndex, length: min(request.readableBytes, 256)) ?? ""
        let path = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let channel = context.channel
        let core = self.core
        Task {
            let (status, body): (String, String)
            if path == "/metrics" || path.hasPrefix("/metrics?") {
                status = "200 OK"
                body = await core.currentMetrics().prometheusText()
            } else {
                status = "404 Not Found"
                body = "metrics are at /metrics\n"
            }
            let head = "HTTP/1.1 \(status)\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n"
            var buffer = channel.allocator.buffer(capacity: head.utf8.count + body.utf8.count)
            buffer.writeString(head)
            buffer.writeString(body)
            channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
