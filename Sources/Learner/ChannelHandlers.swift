import NIOConcurrencyHelpers
import NIOCore
import Wire

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
