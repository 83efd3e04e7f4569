import Foundation
import NIOCore
import NIOPosix
import PPOCore
import TransportSecurity
import Wire

/// Synthetic workers for load tests: each connection says Hello, takes the Welcome and Weights, and answers
/// every Grant at once with a batch of the granted size (real CartPole-v1 transitions collected once, replayed),
/// without stepping any environment. What it measures is the learner: how many transitions it takes in.
public enum Flood {
    public struct Report: Codable, Sendable {
        public var connections: Int
        public var seconds: Double
        public var batchesSent: Int
        public var transitionsSent: Int
        public var transitionsAcked: Int
        public var transitionsPerSecond: Double
        public var bytesSent: Int
    }

    final class Tally: @unchecked Sendable {
        let lock = NSLock()
        var batches = 0, sent = 0, acked = 0, bytes = 0
        func add(batches b: Int = 0, sent s: Int = 0, acked a: Int = 0, bytes by: Int = 0) {
            lock.lock(); batches += b; sent += s; acked += a; bytes += by; lock.unlock()
        }
    }

    /// Floods `host:port` with `connections` synthetic workers of `envs` envs for `seconds`, over mutual TLS with
    /// `tls` (every connection with the same certificate), or in plaintext when it is nil.
    public static func run(host: String, port: Int, connections: Int, envs: Int, seconds: Double, tls: WorkerTLS? = nil) async throws -> Report {
        let template = try CodecBenchmarks.cartPoleBatch().batch  // 8 envs × 256 steps of real transitions
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let tally = Tally()
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for i in 0..<connections {
                tasks.addTask {
                    let channel = try await ClientBootstrap(group: group)
                        .channelOption(.socketOption(.tcp_nodelay), value: 1)
                        .connect(host: host, port: port) { channel in
                            channel.eventLoop.makeCompletedFuture {
                                if let tls { try channel.pipeline.syncOperations.addHandler(tls.makeClientHandler(learnerHost: host)) }
                                try channel.pipeline.syncOperations.addHandler(SentBytes(tally: tally))
                                try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(MessageDecoder()))
                                try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(MessageEncoder()))
                                return try NIOAsyncChannel<Message, Message>(wrappingChannelSynchronously: channel)
                            }
                        }
                    try await channel.executeThenClose { inbound, outbound in
                        try await outbound.write(.hello(Hello(workerID: "flood-\(i)", envID: "", envSignature: 0, numEnvs: UInt16(envs))))
                        var version: UInt64 = 0
                        for try await message in inbound {
                            if clock.now > deadline { return }
                            switch message {
                            case .weights(let w):
                                version = w.policyVersion
                                try await outbound.write(.ready(policyVersion: version))
                            case .grant(let g):
                                guard g.policyVersion == version else { continue }
                                let batch = Self.batch(from: template, envs: envs, steps: Int(g.steps), version: version)
                                try await outbound.write(.batch(BatchMessage(grantID: g.grantID, actionEncoding: .uint8Index, batch: batch)))
                                tally.add(batches: 1, sent: batch.count)
                                try await outbound.write(.ready(policyVersion: version))
                            case .ack(let a):
                                tally.add(acked: Int(a.transitions))
                            case .goodbye, .error:
                                return
                            default:
                                continue
                            }
                        }
                    }
                }
            }
            // End every connection at the deadline.
            tasks.addTask {
                try await Task.sleep(until: deadline, clock: clock)
            }
            try await tasks.next()
            tasks.cancelAll()
        }
        let elapsed = start.duration(to: clock.now)
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        try? await group.shutdownGracefully()
        return Report(connections: connections, seconds: secs, batchesSent: tally.batches, transitionsSent: tally.sent,
                      transitionsAcked: tally.acked, transitionsPerSecond: Double(tally.acked) / secs, bytesSent: tally.bytes)
    }

    /// Counts the bytes of the frames written (before TLS).
    final class SentBytes: ChannelOutboundHandler, Sendable {
        typealias OutboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let tally: Tally
        init(tally: Tally) { self.tally = tally }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            tally.add(bytes: Self.unwrapOutboundIn(data).readableBytes)
            context.write(data, promise: promise)
        }
    }

    /// A batch of `steps` × `envs` taken from the recorded template (cycling through it).
    static func batch(from t: TransitionBatch, envs: Int, steps: Int, version: UInt64) -> TransitionBatch {
        var b = TransitionBatch(policyVersion: version, envCount: envs, steps: steps, observationSize: t.observationSize, actionSize: t.actionSize)
        for k in 0..<envs {
            for s in 0..<steps {
                let (srcEnv, srcStep) = (k % t.envCount, s % t.steps)
                let src = t.index(env: srcEnv, step: srcStep)
                let dst = b.index(env: k, step: s)
                for j in 0..<t.observationSize {
                    b.observations[b.index(env: k, step: s, component: j)] = t.observations[t.index(env: srcEnv, step: srcStep, component: j)]
                }
                for j in 0..<t.actionSize {
                    b.actions[b.index(env: k, step: s, component: j)] = t.actions[t.index(env: srcEnv, step: srcStep, component: j)]
                }
                b.rewards[dst] = t.rewards[src]
                b.terminated[dst] = t.terminated[src]
                b.truncated[dst] = t.truncated[src]
                b.values[dst] = t.values[src]
                b.logProbs[dst] = t.logProbs[src]
                b.truncationValues[dst] = t.truncationValues[src]
            }
        }
        for k in 0..<envs { b.bootstrapValues[k] = t.bootstrapValues[k % t.envCount] }
        return b
    }
}
