import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Reads a learner's `/status.json` over plain HTTP (what `ppo status` prints). NIOHTTP1's client codec writes the
/// request and parses the answer; the body is capped, and what arrives is decoded as `RunStatus` or refused with
/// a sentence saying what is wrong.
public enum StatusClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Largest answer read: a status document of 256 workers and a full curve is well under 1 MiB.
    static let maxBodyBytes = 8 << 20

    public static func fetch(host: String, port: Int, timeout: Duration = .seconds(10)) async throws -> RunStatus {
        let (status, body) = try await get(host: host, port: port, path: "/status.json", timeout: timeout)
        guard status == .ok else {
            throw Failure(description: "http://\(host):\(port)/status.json answered \(status.code) \(status.reasonPhrase): is this a learner's --metrics-port (and a learner of this version)?")
        }
        do {
            return try RunStatus.decoder().decode(RunStatus.self, from: Data(body.readableBytesView))
        } catch {
            throw Failure(description: "http://\(host):\(port)/status.json is not a learner status (schema \(RunStatus.schemaVersion)): \(error)")
        }
    }

    /// One GET, answered with `Connection: close` (as the learner's endpoint answers).
    static func get(host: String, port: Int, path: String, timeout: Duration) async throws -> (HTTPResponseStatus, ByteBuffer) {
        let group = MultiThreadedEventLoopGroup.singleton
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.nanoseconds(timeout.wholeNanoseconds))
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            let cause = (error as? NIOConnectionError)?.connectionErrors.first.map { "\($0.error)" } ?? "\(error)"
            throw Failure(description: "cannot reach a learner's status at \(host):\(port) (\(cause)): give the learner's --metrics-port, and check that it runs")
        }
        return try await withThrowingTaskGroup(of: (HTTPResponseStatus, ByteBuffer).self) { tasks in
            tasks.addTask {
                do {
                    return try await exchange(on: channel, host: host, path: path)
                } catch let failure as Failure {
                    throw failure
                } catch {
                    throw Failure(description: "\(host):\(port) does not answer as HTTP (\(error)): give the learner's --metrics-port, not its worker port")
                }
            }
            tasks.addTask {
                try await Task.sleep(for: timeout)
                throw Failure(description: "\(host):\(port) did not answer within \(timeout)")
            }
            defer { tasks.cancelAll() }
            guard let answer = try await tasks.next() else { throw Failure(description: "no answer from \(host):\(port)") }
            return answer
        }
    }

    private static func exchange(on channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>, host: String,
                                 path: String) async throws -> (HTTPResponseStatus, ByteBuffer) {
        try await channel.executeThenClose { inbound, outbound in
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: host)
            headers.add(name: "Accept", value: "application/json")
            try await outbound.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            try await outbound.write(.end(nil))
            var status: HTTPResponseStatus?
            var body = ByteBuffer()
            for try await part in inbound {
                switch part {
                case .head(let head): status = head.status
                case .body(var chunk):
                    guard body.readableBytes + chunk.readableBytes <= maxBodyBytes else {
                        throw Failure(description: "the answer from \(host) is larger than \(maxBodyBytes) bytes")
                    }
                    body.writeBuffer(&chunk)
                case .end:
                    guard let status else { throw Failure(description: "\(host) sent a body without a status line") }
                    return (status, body)
                }
            }
            throw Failure(description: "\(host) closed the connection before the answer was complete")
        }
    }
}
