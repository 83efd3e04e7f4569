import Environments
import Testing
import Wire
@testable import Learner

/// Which Hellos a learner refuses before it sends anything of its run (PROTOCOL.md §3.2, §8).
@Suite("Hello refusals")
struct HelloRefusalTests {
    static func refusal(_ hello: Hello) -> WireError? {
        let spec = CartPole.spec
        return SessionTable.refusal(of: hello, connected: 0, maxConnections: 4, spec: spec, envArguments: "",
                                    signature: spec.signature(arguments: ""))
    }

    @Test("a worker of protocol version 2 (before policy heads) is refused with unsupportedVersion naming both ranges; a version-3 worker is served")
    func olderWorker() throws {
        let spec = CartPole.spec
        let old = Hello(minVersion: 2, maxVersion: 2, workerID: "w", envID: spec.id, envSignature: spec.signature(arguments: ""), numEnvs: 1)
        let error = try #require(Self.refusal(old))
        #expect(error.code == .unsupportedVersion && error.detail == "worker speaks 2–2, the learner 3–3")
        let current = Hello(workerID: "w", envID: spec.id, envSignature: spec.signature(arguments: ""), numEnvs: 1)
        #expect(Self.refusal(current) == nil)
        let span = Hello(minVersion: 2, maxVersion: 3, workerID: "w", envID: "", envSignature: 0, numEnvs: 1)
        #expect(Self.refusal(span) == nil)
    }
}
