import Foundation
import Testing
@testable import Learner
@testable import Worker

/// Runs `options`' learner on a free loopback port with two in-process workers (4 envs each, `stepDelay` a step)
/// until it tells them the run is finished; the learner's final counters, and the server (its core's state stays
/// readable).
func trainWithTwoWorkers(_ options: LearnerOptions, stepDelay: Duration? = nil) async throws -> (LearnerMetrics, LearnerServer) {
    let server = try LearnerServer(options: options)
    let ports = AsyncStream<Int>.makeStream()
    async let finalMetrics = server.run { ports.continuation.yield($0) }
    var iterator = ports.stream.makeAsyncIterator()
    let port = try #require(await iterator.next())
    try await withThrowingTaskGroup(of: Void.self) { group in
        for i in 1...2 {
            group.addTask {
                // Returns when the learner says the run is finished.
                try await WorkerClient(options: WorkerOptions(
                    host: "127.0.0.1", port: port, tls: nil, workerID: "w\(i)", envs: 4, maxAttempts: 3, stepDelay: stepDelay)).run()
            }
        }
        try await group.waitForAll()
    }
    return (try await finalMetrics, server)
}
