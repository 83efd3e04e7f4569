import Testing
@testable import Learner

@Suite("Grant scheduler")
struct SchedulerTests {
    static func grant(_ s: inout Scheduler, session: Int, holding: UInt64, envs: Int) -> Scheduler.OpenGrant? {
        s.grant(session: session, holding: holding, envs: envs)
    }

    @Test("grants cover the rollout exactly; a closed session's grants go back to the pool; every grant is accounted for")
    func accounting() throws {
        var s = Scheduler(version: 4, rolloutSize: 100, maxStepsPerGrant: 8)
        // A session on another version gets nothing.
        #expect(s.grant(session: 1, holding: 3, envs: 4) == nil)
        let a = try #require(Self.grant(&s, session: 1, holding: 4, envs: 4))  // 8 steps × 4 envs = 32
        let b = try #require(Self.grant(&s, session: 2, holding: 4, envs: 4))
        let c = try #require(Self.grant(&s, session: 3, holding: 4, envs: 4))
        let d = try #require(Self.grant(&s, session: 3, holding: 4, envs: 4))  // the last 4 transitions: 1 step × 4
        #expect([a, b, c].map(\.transitions) == [32, 32, 32] && d.transitions == 4)
        #expect(s.grant(session: 1, holding: 4, envs: 4) == nil, "the rollout is fully granted")
        #expect(s.issued == 4 && s.grantsBalance)

        #expect(s.receive(session: 1, grantID: a.id) == .accepted(a))
        #expect(s.receive(session: 1, grantID: a.id) == .ungranted, "a grant is completed once")
        #expect(s.receive(session: 1, grantID: b.id) == .ungranted, "session 1 does not hold b")
        s.release(session: 2)
        #expect(s.receive(session: 2, grantID: b.id) == .stale(transitions: 32), "a late batch of a released grant is stale")
        #expect(s.completed == 1 && s.returned == 1 && s.open.count == 2 && s.grantsBalance)

        // b's 32 transitions are granted again.
        let again = try #require(Self.grant(&s, session: 1, holding: 4, envs: 4))
        #expect(again.transitions == 32 && again.id != b.id)
        #expect(s.receive(session: 1, grantID: again.id) == .accepted(again))
        #expect(s.receive(session: 3, grantID: c.id) == .accepted(c))
        #expect(!s.isComplete)
        s.advance(to: 5)  // d is still open: revoked with the version
        #expect(s.receive(session: 3, grantID: d.id) == .stale(transitions: 4))
        #expect(s.issued == 5 && s.completed == 3 && s.returned == 2 && s.open.isEmpty && s.grantsBalance)
    }
}
