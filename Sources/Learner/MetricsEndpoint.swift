import NIOCore
import NIOHTTP1
import NIOPosix

/// The learner's HTTP endpoint (plain HTTP, on `--metrics-port`): `/metrics` (Prometheus text), `/status.json`,
/// the status page at `/`, and `/healthz` and `/readyz` for supervisors; any other path is 404 (`EndpointRoute`).
/// HTTP/1.1 is parsed and written by NIOHTTP1. A connection that sends no request within `requestTimeout` is
/// closed, so idle connections cannot pile up in the learner's process.
enum MetricsEndpoint {
    static let requestTimeout = TimeAmount.seconds(5)

    static func start(group: EventLoopGroup, host: String, port: Int, core: LearnerCore,
                      listening: @escaping @Sendable () -> Bool) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(IdleStateHandler(readTimeout: requestTimeout))
                    // One request per connection (the answer closes it), so no pipelining state to keep.
                    try operations.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: true)
                    try operations.addHandler(MetricsHandler(core: core, listening: listening))
                }
            }
            .bind(host: host, port: port)
            .get()
    }
}

/// Answers the first request once it has fully arrived, then closes the connection (`Connection: close`);
/// anything the client sends after it is ignored, so one connection never has two answers in flight.
final class MetricsHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart
    let core: LearnerCore
    let listening: @Sendable () -> Bool
    private var head: HTTPRequestHead?
    private var answered = false

    init(core: LearnerCore, listening: @escaping @Sendable () -> Bool) {
        self.core = core
        self.listening = listening
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let h): head = h
        case .body: break
        case .end:
            guard let request = head, !answered else { return }
            head = nil
            answered = true
            answer(request, on: context.channel)
        }
    }

    private func answer(_ request: HTTPRequestHead, on channel: Channel) {
        let (core, listening) = (self.core, self.listening)
        Task {
            let response = await EndpointRoute(request).response(core: core, listening: listening())
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: response.contentType)
            headers.add(name: "Content-Length", value: "\(response.body.count)")
            headers.add(name: "Connection", value: "close")
            if response.uncached { headers.add(name: "Cache-Control", value: "no-store") }
            let buffer = channel.allocator.buffer(bytes: request.method == .HEAD ? [] : response.body)
            channel.write(HTTPServerResponsePart.head(HTTPResponseHead(version: request.version, status: response.status, headers: headers)), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
            channel.writeAndFlush(HTTPServerResponsePart.end(nil)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
