import PPOCore
import Testing
import Training
@testable import Learner
@testable import Wire

@Suite("Learner accounting")
struct AccountingTests {
    @Test("a batch granted before the run ended and arriving after it is received and dropped as unfinished, never lost")
    func batchAfterStop() async throws {
        let run = try Presets.load("CartPole-v1")
        let server = try LearnerServer(options: LearnerOptions(run: run, seed: 1, host: "127.0.0.1", port: 0, tls: nil, checkpointEvery: 0))
        let core = server.core
        let (stream, outbound) = AsyncStream<OutboundFrame>.makeStream()
        let id = try await core.register(hello: Hello(workerID: "late", envID: "", envSignature: 0, numEnvs: 2), outbound: outbound).get()
        guard case .keepOpen = await core.handle(.ready(policyVersion: 0), session: id) else {
            Issue.record("Ready was refused")
            return
        }
        var grant: Grant?
        for await frame in stream {
            if case .message(.grant(let g)) = frame { grant = g; break }
        }
        let g = try #require(grant)
        await core.stop()

        var b = TransitionBatch(policyVersion: g.policyVersion, envCount: 2, steps: Int(g.steps), observationSize: 4, actionSize: 1)
        for i in 0..<b.count { b.rewards[i] = 1 }
        _ = await core.handle(.batch(BatchMessage(grantID: g.grantID, actionEncoding: .uint8Index, batch: b)), session: id)
        let m = await core.currentMetrics()
        #expect(m.transitionsReceived == b.count)
        #expect(m.transitionsReceived == m.transitionsTrained + m.droppedTotal, "received \(m.transitionsReceived), trained \(m.transitionsTrained), dropped \(m.transitionsDropped)")
        #expect(m.transitionsDropped["unfinished"] == b.count)
    }
}
