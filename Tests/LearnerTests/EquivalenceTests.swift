import Foundation
import PPOCore
import Testing
import Training
@testable import Learner
@testable import Worker
import TestSupport

@Suite("Distributed = single-process", .offThePool)
struct EquivalenceTests {
    @Test("one worker, the rollout as one grant: the same weights after 3 updates as single-process training, bit for bit",
          arguments: ["CartPole-v1", "Pendulum-v1"])
    func sameWeights(env: String) async throws {
        var run = try Presets.load(env)
        run.ppo.rolloutSteps = 8 * run.ppo.numEnvs
        run.ppo.updateEpochs = 2
        run.totalSteps = 3 * run.ppo.rolloutSteps

        let local = try LocalTraining(run: run, seed: 11, checkpoints: .none)
        _ = try local.train { _ in }

        let options = LearnerOptions(
            run: run, seed: 11, host: "127.0.0.1", port: 0, tls: nil,
            maxStepsPerGrant: run.ppo.rolloutSteps / run.ppo.numEnvs)
        let server = try LearnerServer(options: options)
        let ports = AsyncStream<Int>.makeStream()
        async let metrics = server.run { ports.continuation.yield($0) }
        var iterator = ports.stream.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let worker = WorkerClient(options: WorkerOptions(
            host: "127.0.0.1", port: port, tls: nil, workerID: CollectorStreams.localName, envs: run.ppo.numEnvs, maxAttempts: 3))
        try await worker.run()
        let final = try await metrics
        #expect(final.updates == 3)
        // A reconnect would start new collector streams, so the comparison below only means something for one session.
        #expect(final.connectionsTotal == 1, "the worker connected \(final.connectionsTotal) times")
        let distributed = await server.core.currentWeights()
        #expect(distributed.policyVersion == local.trainer.version)
        let single = local.trainer.model.flatParameters
        let identical = distributed.parameters == single
        let maxDifference = zip(distributed.parameters, single).map { abs($0 - $1) }.max() ?? .nan
        #expect(identical, "parameters differ by up to \(maxDifference)")
        #expect(distributed.normalizer == local.trainer.observationNormalizer)
    }
}
