import PPOCore
import Wire

/// Pull-based grants (DESIGN §6): the learner needs `rolloutSize` transitions collected by policy version `v`;
/// a worker that holds `v` and says Ready is granted a chunk of what `v` still needs. Data is on-policy by
/// construction: `accept(_:from:)`, the on-policy gate, is the one place that decides whether a batch is trained on.
///
/// With a policy lag `L` > 0 (`--max-policy-lag`), collection overlaps learning: while the update of version `v`
/// runs, workers holding `v` collect the next rollout, which is trained from `v + 1`. `admits(version:)` is the
/// one rule: a transition collected by version `h` may go into the rollout being filled only if that rollout is
/// trained from a version at most `L` newer than `h`. With `L` = 0 nothing is granted during an update, and with
/// any lag nothing during the run's last update (no rollout follows it). A session holds at most
/// `maxOpenPerSession` grants (the Welcome's `maxUnackedBatches`): one that asks for more cannot take a version's
/// whole rollout and sit on it.
///
/// A plain value: the learner's connection code drives it and acts on what it returns.
public struct Scheduler: Sendable {
    /// One open grant.
    public struct OpenGrant: Sendable, Equatable {
        public var id: UInt32
        public var session: Int
        public var version: UInt64
        public var steps: Int
        public var envs: Int
        /// When it was issued (for the learner's grant deadline).
        public var issuedAt: ContinuousClock.Instant
        public var transitions: Int { steps * envs }
    }

    /// What the on-policy gate decided about a batch.
    public enum Admission: Equatable, Sendable {
        /// For an open grant of an admitted version, and it fits that grant and the run: will be trained on.
        case accepted(OpenGrant)
        /// For a grant that was revoked or of a past version: dropped, never trained on.
        case stale(transitions: Int)
        /// For no grant this session holds.
        case ungranted
        /// For an open grant of this session, but it does not fit the grant or the run (the error says how);
        /// the grant stays open until the connection closes, then goes back to the pool.
        case invalid(WireError)
    }

    /// The trainer's version: the newest weights.
    public private(set) var version: UInt64
    /// Whether an update (from `version` to the next) runs now.
    public private(set) var updating = false
    /// Whether the run's last update has begun: nothing more is granted (no rollout follows it, and no batch is in
    /// flight when the Goodbyes go out, which a closing socket could otherwise turn into a reset that drops them).
    public private(set) var grantsClosed = false
    /// The most grants one session holds open at once.
    public let maxOpenPerSession: Int
    /// How many versions older than the version it is trained from a transition may be (0: strictly on-policy).
    public let maxPolicyLag: UInt64
    public let rolloutSize: Int
    /// The run's observation size and action space: every accepted batch has them.
    public let observationSize: Int
    public let actionSpace: Space
    /// Largest grant in steps per env, if set (`--grant-steps`); nil: `defaultShare` of the rollout, in steps of
    /// the worker's envs, so that a rollout is spread over several grants (and workers) whatever their envs.
    public let maxStepsPerGrant: Int?
    /// Without `maxStepsPerGrant`, a grant is at most this fraction of a rollout (and at least one step).
    public static let defaultShare = 8
    /// Transitions of the rollout being filled received.
    public private(set) var received = 0
    public private(set) var open: [UInt32: OpenGrant] = [:]
    /// Grants that were open when their version ended or their session closed, by id: a late batch is stale.
    private var revoked: [UInt32: Int] = [:]
    private var nextID: UInt32 = 1
    /// Grant accounting: every grant issued is completed (its batch arrived), returned to the pool (its session
    /// closed or its version ended) or still open, so `issued = completed + returned + open.count` always.
    public private(set) var issued = 0
    public private(set) var completed = 0
    public private(set) var returned = 0
    /// Whether every grant issued is accounted for.
    public var grantsBalance: Bool { issued == completed + returned + open.count }

    public init(version: UInt64, rolloutSize: Int, maxStepsPerGrant: Int?, observationSize: Int, actionSpace: Space, maxPolicyLag: UInt64 = 0,
                maxOpenPerSession: Int = .max) {
        self.version = version
        self.maxOpenPerSession = maxOpenPerSession
        self.maxPolicyLag = maxPolicyLag
        self.rolloutSize = rolloutSize
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        self.maxStepsPerGrant = maxStepsPerGrant.map { max(1, $0) }
    }

    /// Transitions granted but not received yet.
    public var outstanding: Int { open.values.reduce(0) { $0 + $1.transitions } }

    /// Whether the rollout being filled has all it needs (train it once no update runs).
    public var isComplete: Bool { received >= rolloutSize }

    /// The version the rollout being filled will be trained from.
    public var trainedFrom: UInt64 { version + (updating ? 1 : 0) }

    /// The policy-lag rule: whether what version `h` collects may go into the rollout being filled.
    public func admits(version h: UInt64) -> Bool {
        h <= version && trainedFrom - h <= maxPolicyLag
    }

    /// A grant for `session` (which holds `holding` and runs `envs` environments), or nil if the rollout being
    /// filled needs nothing more or may not take what `holding` collects, the session holds its most grants, or
    /// the last update has begun.
    public mutating func grant(session: Int, holding: UInt64, envs: Int, now: ContinuousClock.Instant = .now) -> OpenGrant? {
        guard !grantsClosed, admits(version: holding), envs > 0, openCount(session: session) < maxOpenPerSession else { return nil }
        let remaining = rolloutSize - received - outstanding
        guard remaining > 0 else { return nil }
        let largest = maxStepsPerGrant ?? max(1, rolloutSize / (Self.defaultShare * envs))
        let steps = min(largest, (remaining + envs - 1) / envs)
        let g = OpenGrant(id: nextID, session: session, version: version, steps: steps, envs: envs, issuedAt: now)
        nextID &+= 1
        if nextID == 0 { nextID = 1 }
        open[g.id] = g
        issued += 1
        return g
    }

    /// The on-policy gate (PROTOCOL.md §5.2, §6): decides, with one grant look-up, whether `message` from
    /// `session` is trained on. Accepted only if `session` holds its grant open, the grant's version is admitted
    /// (`admits(version:)`: the current one, or with a policy lag at most that many versions older), and the
    /// batch has the grant's shape, the run's observation size and action space, and the grant's policy version
    /// (`BatchMessage.validate`). Decoding has already checked every float and flag.
    /// An accepted batch completes its grant; nothing else changes the rollout.
    public mutating func accept(_ message: BatchMessage, from session: Int) -> Admission {
        let id = message.grantID
        guard let g = open[id], g.session == session else {
            if open[id] == nil, let transitions = revoked.removeValue(forKey: id) { return .stale(transitions: transitions) }
            return .ungranted
        }
        guard admits(version: g.version) else {
            // Unreachable while `beginUpdate` revokes what the rule no longer admits; kept so the gate alone decides.
            revoke(id)
            return .stale(transitions: g.transitions)
        }
        let expectation = BatchExpectation(
            envCount: g.envs, steps: g.steps, observationSize: observationSize, actionSpace: actionSpace, policyVersion: g.version)
        do throws(WireError) {
            try message.validate(against: expectation)
        } catch {
            return .invalid(error)
        }
        open[id] = nil
        received += g.transitions
        completed += 1
        return .accepted(g)
    }

    /// How many grants `session` holds open.
    public func openCount(session: Int) -> Int { open.values.count { $0.session == session } }

    /// The sessions that hold a grant issued more than `timeout` before `now`.
    public func sessionsOverdue(timeout: Duration, now: ContinuousClock.Instant) -> Set<Int> {
        Set(open.values.filter { now - $0.issuedAt > timeout }.map(\.session))
    }

    /// A session closed: its open grants go back to the pool.
    public mutating func release(session: Int) {
        for (id, g) in open where g.session == session { revoke(id) }
    }

    /// The rollout is taken for training (from `version`): the next one starts filling, and every open grant the
    /// lag rule no longer admits (with lag 0: all of them) is revoked. `isLast`: the run's last update, after which
    /// nothing is granted.
    public mutating func beginUpdate(isLast: Bool = false) {
        precondition(!updating, "an update began while another ran")
        updating = true
        if isLast { grantsClosed = true }
        received = 0
        revokeUnadmitted()
    }

    /// The update finished with `newVersion`, the trainer's version now.
    public mutating func advance(to newVersion: UInt64) {
        precondition(updating && newVersion > version, "advance without an update")
        updating = false
        version = newVersion
        revokeUnadmitted()
        // Forget revoked grants far in the past (ids are per learner, a late batch arrives within seconds).
        if revoked.count > 10_000 { revoked = [:] }
    }

    private mutating func revokeUnadmitted() {
        for (id, g) in open where !admits(version: g.version) { revoke(id) }
    }

    private mutating func revoke(_ id: UInt32) {
        guard let g = open.removeValue(forKey: id) else { return }
        revoked[id] = g.transitions
        returned += 1
    }
}
