import Environments
import Testing
import Wire
@testable import Learner

/// Which Hellos a learner refuses before it sends anything of its run (PROTOCOL.md §3.2, §8).
@Suite("Hello refusals")
struct HelloRefusalTests {
    static func refusal(_ hello: Hello) -> WireError? {
        let spec = CartPole.spec
        return SessionTable.refusal(of: hello, connected: 0, maxConnections: 4, spec: spec, environment: EnvironmentSelection(id: spec.id),
                                    signature: spec.signature(arguments: ""))
    }

    @Test("a worker of protocol version 4 (before convolutional networks) is refused with unsupportedVersion naming both ranges; a version-5 worker is served, as is one that speaks both")
    func olderWorker() throws {
        let spec = CartPole.spec
        let old = Hello(minVersion: 4, maxVersion: 4, workerID: "w", envID: spec.id, envSignature: spec.signature(arguments: ""), numEnvs: 1)
        let error = try #require(Self.refusal(old))
        #expect(error.code == .unsupportedVersion && error.detail == "worker speaks 4–4, the learner 5–5")
        let current = Hello(workerID: "w", envID: spec.id, envSignature: spec.signature(arguments: ""), numEnvs: 1)
        #expect(Self.refusal(current) == nil)
        let span = Hello(minVersion: 4, maxVersion: 5, workerID: "w", envID: "", envSignature: 0, numEnvs: 1)
        #expect(Self.refusal(span) == nil)
    }
}
