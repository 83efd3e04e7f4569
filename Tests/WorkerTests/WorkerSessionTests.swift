import Environments
import PPOCore
import Testing
import Wire
@testable import Worker

/// The worker's conversation as a state machine, driven message by message: no socket, no process.
@Suite("Worker session machine (no I/O)")
struct WorkerSessionTests {
    static let hello = Hello(workerID: "w", envID: "", envSignature: 0, numEnvs: 2)

    static func welcome(version: UInt16 = WireProtocol.supportedVersions.upperBound, policyVersion: UInt64 = 5,
                        maxUnacked: UInt16 = 2) -> Welcome {
        Welcome(version: version, runID: "run", envID: "CartPole-v1", policyVersion: policyVersion, seed: 1,
                maxUnackedBatches: maxUnacked, heartbeatIntervalMilliseconds: 1000, activation: .tanh, hiddenSizes: [4],
                observationSize: 4, head: .categorical(segments: [2]), parameterCount: 10, observationClip: 10,
                normalizeRewards: false, gamma: 0.99, rewardClip: 10)
    }

    static func weights(_ v: UInt64, parameters: Int = 10) -> Weights {
        Weights(policyVersion: v, parameters: Array(repeating: 0, count: parameters), normalizer: nil)
    }

    static let batch = BatchMessage(
        grantID: 1, actionEncoding: .uint8Index,
        batch: TransitionBatch(policyVersion: 5, envCount: 2, steps: 1, observationSize: 4, actionSize: 1))

    /// A session past its Welcome and first Weights (version 5), with the actions that took it there.
    static func serving(maxUnacked: UInt16 = 2) -> WorkerSession {
        var s = WorkerSession(hello: hello, learner: "learner:9000", welcomeTimeout: .seconds(10))
        _ = s.receive(.welcome(welcome(maxUnacked: maxUnacked)))
        _ = s.prepared()
        _ = s.receive(.weights(weights(5)))
        return s
    }

    @Test("Hello first; a Welcome asks for preparation; Weights are loaded and answered with Ready")
    func handshake() {
        var s = WorkerSession(hello: Self.hello, learner: "learner:9000", welcomeTimeout: .seconds(10))
        #expect(s.start() == [.send(.hello(Self.hello))])
        #expect(s.receive(.welcome(Self.welcome())) == [.prepare(Self.welcome())])
        #expect(s.phase == .serving)
        #expect(s.prepared() == [])
        #expect(s.receive(.weights(Self.weights(5))) == [.load(Self.weights(5)), .send(.ready(policyVersion: 5))])
    }

    @Test("a Welcome of a version this worker does not speak is refused with unsupportedVersion, for good")
    func unsupportedVersion() {
        var s = WorkerSession(hello: Self.hello, learner: "learner:9000", welcomeTimeout: .seconds(10))
        let actions = s.receive(.welcome(Self.welcome(version: WireProtocol.supportedVersions.upperBound + 1)))
        guard case .send(.error(let code, _)) = actions.first, case .end(.refused(let why)) = actions.last else {
            Issue.record("\(actions)"); return
        }
        #expect(code == WireError.Code.unsupportedVersion.rawValue && why.contains("protocol version"))
        #expect(s.phase == .ended && s.receive(.weights(Self.weights(5))) == [])
    }

    @Test("before the Welcome: an Error, a Goodbye, another message, or the connection closing each end the session as they should")
    func beforeWelcome() {
        func first(_ m: Message?) -> [WorkerSession.Action] {
            var s = WorkerSession(hello: Self.hello, learner: "learner:9000", welcomeTimeout: .seconds(10))
            return m.map { s.receive($0) } ?? s.closed()
        }
        #expect(first(.goodbye(Goodbye(reason: .finished, message: "done"))) == [.end(.finished)])
        #expect(first(.goodbye(Goodbye(reason: .shuttingDown, message: "bye"))) == [.end(.reconnect("learner: bye"))])
        #expect(first(.error(code: WireError.Code.envMismatch.rawValue, message: "other env")) == [.end(.refused("envMismatch: other env"))])
        #expect(first(.error(code: WireError.Code.tooManyConnections.rawValue, message: "full"))
                == [.end(.reconnect("the learner ended the connection with tooManyConnections: full"))])
        #expect(first(.grant(Grant(grantID: 1, policyVersion: 0, steps: 1))) == [.end(.refused("the learner sent grant before Welcome"))])
        guard case .end(.reconnect(let why, false)) = first(nil).first else { Issue.record("closed"); return }
        #expect(why.contains("learner:9000") && why.contains("before its Welcome"))
    }

    @Test("grants of a version held are collected; of another, ignored; one too large is refused with grantExceeded")
    func grants() {
        var s = Self.serving()
        #expect(s.receive(.grant(Grant(grantID: 1, policyVersion: 5, steps: 8))) == [.collect(Grant(grantID: 1, policyVersion: 5, steps: 8))])
        #expect(s.receive(.grant(Grant(grantID: 2, policyVersion: 4, steps: 8))) == [])
        let actions = s.receive(.grant(Grant(grantID: 3, policyVersion: 5, steps: .max)))
        guard case .send(.error(let code, _)) = actions.first, case .end(.reconnect(_, true)) = actions.last else {
            Issue.record("\(actions)"); return
        }
        #expect(code == WireError.Code.grantExceeded.rawValue)
    }

    @Test("the previous version stays held after new Weights (policy lag 1), the one before it does not")
    func heldVersions() {
        var s = Self.serving()
        _ = s.receive(.weights(Self.weights(6)))
        #expect(s.holds(5) && s.holds(6) && !s.holds(4))
        _ = s.receive(.weights(Self.weights(7)))
        #expect(!s.holds(5) && s.holds(6) && s.holds(7))
        #expect(s.receive(.grant(Grant(grantID: 1, policyVersion: 5, steps: 1))) == [])
        // The same version again (the Weights after the Welcome) keeps the previous one.
        _ = s.receive(.weights(Self.weights(7)))
        #expect(s.holds(6))
    }

    @Test("the Ready window: a Ready after each batch while fewer than maxUnacked are unacknowledged, then one per Ack")
    func readyWindow() {
        var s = Self.serving(maxUnacked: 2)
        #expect(s.collected(Self.batch) == [.send(.batch(Self.batch)), .send(.ready(policyVersion: 5))])
        #expect(s.collected(Self.batch) == [.send(.batch(Self.batch))])
        #expect(s.unacked == 2)
        let ack = Message.ack(Ack(grantID: 1, status: .accepted, transitions: 2))
        #expect(s.receive(ack) == [.send(.ready(policyVersion: 5))])
        #expect(s.receive(ack) == [])
        #expect(s.unacked == 0)
    }

    @Test("unusable Weights are refused with shapeMismatch and the session ends in a reconnect")
    func badWeights() {
        var s = Self.serving()
        let actions = s.receive(.weights(Self.weights(6, parameters: 11)))
        guard case .send(.error(let code, _)) = actions.first, case .end(.reconnect(let why, true)) = actions.last else {
            Issue.record("\(actions)"); return
        }
        #expect(code == WireError.Code.shapeMismatch.rawValue && why.contains("unusable Weights"))
        #expect(!s.holds(6))
    }

    @Test("after the Welcome: a second Welcome is unexpected; Error and Goodbye end; heartbeats change nothing; closing reconnects")
    func afterWelcome() {
        var s = Self.serving()
        #expect(s.receive(.heartbeat(sentAtNanoseconds: 1)) == [])
        let unexpected = s.receive(.welcome(Self.welcome()))
        guard case .send(.error(let code, _)) = unexpected.first else { Issue.record("\(unexpected)"); return }
        #expect(code == WireError.Code.unexpectedMessage.rawValue)
        var t = Self.serving()
        #expect(t.receive(.error(code: WireError.Code.timeout.rawValue, message: "silent"))
                == [.end(.reconnect("the learner ended the connection with timeout: silent", afterWelcome: true))])
        var u = Self.serving()
        #expect(u.receive(.goodbye(Goodbye(reason: .finished, message: ""))) == [.end(.finished)])
        var v = Self.serving()
        #expect(v.closed() == [.end(.reconnect("the learner closed the connection", afterWelcome: true))])
    }

    @Test("a failed environment while collecting: the learner hears environmentFailed, and nothing of the grant is sent")
    func environmentFailure() {
        var s = Self.serving()
        let fault = BridgeFault.raised(envID: "gym:X", envIndex: 0, message: "boom")
        #expect(s.environmentFailed(fault) == [.send(.error(WireError(.environmentFailed, fault.description))), .end(.environmentFailed(fault))])
        #expect(s.collected(Self.batch) == [])
    }
}
