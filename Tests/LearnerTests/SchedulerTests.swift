import Environments
import PPOCore
import Testing
import Wire
@testable import Learner

@Suite("Grant scheduler and the on-policy gate")
struct SchedulerTests {
    static func scheduler(version: UInt64 = 4, rollout: Int = 100, maxSteps: Int = 8, lag: UInt64 = 0) -> Scheduler {
        Scheduler(version: version, rolloutSize: rollout, maxStepsPerGrant: maxSteps, observationSize: 4, actionSpace: .discrete(2),
                  maxPolicyLag: lag)
    }

    static func grant(_ s: inout Scheduler, session: Int, holding: UInt64? = nil, envs: Int) -> Scheduler.OpenGrant? {
        s.grant(session: session, holding: holding ?? s.version, envs: envs)
    }

    /// A batch that fits `g` exactly (zeros: action 0, in range).
    static func batch(for g: Scheduler.OpenGrant, _ change: (inout TransitionBatch) -> Void = { _ in }) -> BatchMessage {
        var b = TransitionBatch(policyVersion: g.version, envCount: g.envs, steps: g.steps, observationSize: 4, actionSize: 1)
        change(&b)
        return BatchMessage(grantID: g.id, actionEncoding: .uint8Index, batch: b)
    }

    @Test("grants cover the rollout exactly; a closed session's grants go back to the pool; every grant is accounted for")
    func accounting() throws {
        var s = Self.scheduler()
        // A session on another version gets nothing.
        #expect(s.grant(session: 1, holding: 3, envs: 4) == nil)
        let a = try #require(Self.grant(&s, session: 1, envs: 4))  // 8 steps × 4 envs = 32
        let b = try #require(Self.grant(&s, session: 2, envs: 4))
        let c = try #require(Self.grant(&s, session: 3, envs: 4))
        let d = try #require(Self.grant(&s, session: 3, envs: 4))  // the last 4 transitions: 1 step × 4
        #expect([a, b, c].map(\.transitions) == [32, 32, 32] && d.transitions == 4)
        #expect(s.grant(session: 1, holding: 4, envs: 4) == nil, "the rollout is fully granted")
        #expect(s.issued == 4 && s.grantsBalance)

        #expect(s.accept(Self.batch(for: a), from: 1) == .accepted(a))
        #expect(s.accept(Self.batch(for: a), from: 1) == .ungranted, "a grant is completed once")
        #expect(s.accept(Self.batch(for: b), from: 1) == .ungranted, "session 1 does not hold b")
        s.release(session: 2)
        #expect(s.accept(Self.batch(for: b), from: 2) == .stale(transitions: 32), "a late batch of a released grant is stale")
        #expect(s.completed == 1 && s.returned == 1 && s.open.count == 2 && s.grantsBalance)

        // b's 32 transitions are granted again.
        let again = try #require(Self.grant(&s, session: 1, envs: 4))
        #expect(again.transitions == 32 && again.id != b.id)
        #expect(s.accept(Self.batch(for: again), from: 1) == .accepted(again))
        #expect(s.accept(Self.batch(for: c), from: 3) == .accepted(c))
        #expect(!s.isComplete)
        s.beginUpdate()  // d is still open: strictly on-policy, it is revoked when its version's update begins
        #expect(s.grant(session: 1, holding: 4, envs: 4) == nil, "nothing is granted while the update runs")
        #expect(s.accept(Self.batch(for: d), from: 3) == .stale(transitions: 4))
        s.advance(to: 5)
        #expect(s.issued == 5 && s.completed == 3 && s.returned == 2 && s.open.isEmpty && s.grantsBalance)
    }

    @Test("the gate refuses a batch that does not fit its grant or the run, with the code, and the grant stays open")
    func gateRefusesMisfits() throws {
        var s = Self.scheduler()
        let g = try #require(Self.grant(&s, session: 1, envs: 2))
        let misfits: [(BatchMessage, WireError.Code)] = [
            (Self.batch(for: g) { $0.policyVersion = 3 }, .invalidVersion),
            (BatchMessage(grantID: g.id, actionEncoding: .uint8Index,
                          batch: TransitionBatch(policyVersion: 4, envCount: 2, steps: g.steps + 1, observationSize: 4, actionSize: 1)), .grantExceeded),
            (BatchMessage(grantID: g.id, actionEncoding: .uint8Index,
                          batch: TransitionBatch(policyVersion: 4, envCount: 1, steps: g.steps, observationSize: 4, actionSize: 1)), .shapeMismatch),
            (BatchMessage(grantID: g.id, actionEncoding: .uint8Index,
                          batch: TransitionBatch(policyVersion: 4, envCount: 2, steps: g.steps, observationSize: 3, actionSize: 1)), .shapeMismatch),
            (Self.batch(for: g) { $0.actions[5] = 2 }, .actionOutOfRange),
            (BatchMessage(grantID: g.id, actionEncoding: .float32, batch: Self.batch(for: g).batch), .shapeMismatch),
        ]
        for (message, code) in misfits {
            guard case .invalid(let error) = s.accept(message, from: 1) else {
                Issue.record("accepted a misfit that should fail with \(code)")
                continue
            }
            #expect(error.code == code, "\(error)")
        }
        #expect(s.received == 0 && s.completed == 0 && s.open[g.id] == g, "nothing of a misfit counts toward the rollout")
        #expect(s.accept(Self.batch(for: g), from: 1) == .accepted(g), "the grant can still be delivered")
        #expect(s.received == g.transitions)
    }

    @Test("with a policy lag of 1, the next rollout is collected by version v during v's update; version v may no longer collect once the update from v + 1 begins")
    func policyLag() throws {
        var s = Self.scheduler(rollout: 64, lag: 1)
        #expect(s.grant(session: 1, holding: 2, envs: 4) == nil, "version 2 is 2 versions behind the trainer")
        let first = try #require(Self.grant(&s, session: 1, holding: 4, envs: 4))
        let second = try #require(Self.grant(&s, session: 2, holding: 4, envs: 4))
        #expect(s.accept(Self.batch(for: first), from: 1) == .accepted(first))
        #expect(s.accept(Self.batch(for: second), from: 2) == .accepted(second))
        #expect(s.isComplete)

        s.beginUpdate()  // 4 → 5 runs: what version 4 collects now is trained from 5, a lag of 1
        #expect(s.trainedFrom == 5 && s.received == 0)
        let during = try #require(Self.grant(&s, session: 1, holding: 4, envs: 4))
        let spare = try #require(Self.grant(&s, session: 2, holding: 4, envs: 4))
        #expect(during.version == 4 && spare.version == 4)
        #expect(s.accept(Self.batch(for: during), from: 1) == .accepted(during), "version 4's batch goes into the next rollout")

        s.advance(to: 5)
        #expect(s.open[spare.id] == spare, "still within the lag once the update finished")
        #expect(s.grant(session: 3, holding: 5, envs: 4) == nil, "the rollout is fully granted")
        #expect(s.accept(Self.batch(for: spare), from: 2) == .accepted(spare))
        #expect(s.isComplete)

        s.beginUpdate()  // 5 → 6 runs: version 4 would be 2 behind
        #expect(s.grant(session: 1, holding: 4, envs: 4) == nil)
        let next = try #require(Self.grant(&s, session: 1, holding: 5, envs: 4))
        #expect(next.version == 5)
        #expect(s.grantsBalance)
    }

    @Test("a session holds at most maxOpenPerSession grants; a completed one makes room")
    func openPerSession() throws {
        var s = Scheduler(version: 4, rolloutSize: 100, maxStepsPerGrant: 2, observationSize: 4, actionSpace: .discrete(2),
                          maxOpenPerSession: 2)
        let a = try #require(Self.grant(&s, session: 1, envs: 1))
        #expect(Self.grant(&s, session: 1, envs: 1) != nil)
        #expect(Self.grant(&s, session: 1, envs: 1) == nil, "a third open grant")
        #expect(Self.grant(&s, session: 2, envs: 1) != nil, "another session is not limited by the first")
        #expect(s.accept(Self.batch(for: a), from: 1) == .accepted(a))
        #expect(Self.grant(&s, session: 1, envs: 1) != nil)
    }

    @Test("nothing is granted once the run's last update has begun, even with a policy lag that would admit it")
    func lastUpdate() throws {
        var s = Self.scheduler(rollout: 8, maxSteps: 8, lag: 1)
        let g = try #require(Self.grant(&s, session: 1, envs: 1))
        #expect(s.accept(Self.batch(for: g), from: 1) == .accepted(g) && s.isComplete)
        s.beginUpdate()
        #expect(Self.grant(&s, session: 1, holding: 4, envs: 1) != nil, "lag 1: the next rollout is collected during an update")
        var last = Self.scheduler(rollout: 8, maxSteps: 8, lag: 1)
        let h = try #require(Self.grant(&last, session: 1, envs: 1))
        _ = last.accept(Self.batch(for: h), from: 1)
        last.beginUpdate(isLast: true)
        #expect(last.grantsClosed && Self.grant(&last, session: 1, holding: 4, envs: 1) == nil)
    }
}
