import NIOCore
import NIOPosix
import Testing
@testable import Learner
@testable import Wire

/// A learner running in this process and one plain connection to it on which a test speaks the wire format by
/// hand: a worker that does exactly what the test says, no more.
struct HandWrittenWorker {
    let running: Task<LearnerMetrics, Error>
    let group: MultiThreadedEventLoopGroup
    let channel: NIOAsyncChannel<Message, Message>

    /// Starts `server` on its port and connects to it.
    static func connect(to server: LearnerServer) async throws -> HandWrittenWorker {
        let ports = AsyncStream<Int>.makeStream()
        let running = Task { try await server.run { ports.continuation.yield($0) } }
        var it = ports.stream.makeAsyncIterator()
        let port = try #require(await it.next(), "the learner did not listen")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MessageDecoder()))
                try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(MessageEncoder()))
                return try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel)
            }
        }
        return HandWrittenWorker(running: running, group: group, channel: channel)
    }

    /// Waits for the learner's run to return, then lets the event loop go.
    func finish() async throws {
        _ = try await running.value
        try? await group.shutdownGracefully()
    }
}
