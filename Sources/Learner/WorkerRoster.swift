import Foundation

/// Every worker the learner has seen in this run, by worker id, for the status page: its address, what it
/// delivered, how fast, when it was last heard and how often it reconnected. A worker that leaves stays listed
/// (state `gone`) until `maxGone` newer ones have left after it, so a page shows who dropped out.
struct WorkerRoster {
    struct Record {
        var id: String
        var address: String
        var envs: Int
        /// Live sessions of this id (normally one; two workers given the same `--id` share a row).
        var sessions: Set<Int> = []
        var connections = 0
        var transitions = 0
        var batches = 0
        var connectedAt: Date
        var lastSeen: Date
        var leftAt: Date?
        var lastEnd: String?
        var rate = RateWindow()
    }

    static let maxGone = 256
    private(set) var records: [String: Record] = [:]
    private var bySession: [Int: String] = [:]

    mutating func connect(session: Int, id: String, address: String, envs: Int, now: Date = Date()) {
        var r = records[id] ?? Record(id: id, address: address, envs: envs, connectedAt: now, lastSeen: now)
        if r.sessions.isEmpty { r.connectedAt = now }
        r.address = address
        r.envs = envs
        r.sessions.insert(session)
        r.connections += 1
        r.lastSeen = now
        r.leftAt = nil
        records[id] = r
        bySession[session] = id
    }

    /// Any message from the session (heartbeats included).
    mutating func heard(session: Int, now: Date = Date()) {
        guard let id = bySession[session] else { return }
        records[id]?.lastSeen = now
    }

    mutating func delivered(session: Int, transitions: Int, now: Date = Date()) {
        guard let id = bySession[session] else { return }
        records[id]?.transitions += transitions
        records[id]?.batches += 1
        records[id]?.lastSeen = now
        records[id]?.rate.add(transitions, at: now)
    }

    mutating func disconnect(session: Int, reason: String, now: Date = Date()) {
        guard let id = bySession.removeValue(forKey: session), var r = records[id] else { return }
        r.sessions.remove(session)
        r.lastEnd = reason
        if r.sessions.isEmpty { r.leftAt = now }
        records[id] = r
        forgetOldestGone()
    }

    func sessions(of id: String) -> Set<Int> { records[id]?.sessions ?? [] }

    private mutating func forgetOldestGone() {
        let gone = records.values.filter { $0.sessions.isEmpty }
        guard gone.count > Self.maxGone else { return }
        for r in gone.sorted(by: { ($0.leftAt ?? .distantPast) < ($1.leftAt ?? .distantPast) }).prefix(gone.count - Self.maxGone) {
            records[r.id] = nil
        }
    }
}

/// Transitions per second over the last `span` seconds, in one-second buckets: O(1) per batch, whatever the rate.
struct RateWindow {
    static let span = 10
    private var buckets = [Int](repeating: 0, count: RateWindow.span)
    private var second = 0
    private var first: Int?

    mutating func add(_ count: Int, at now: Date) {
        advance(to: now)
        buckets[second % Self.span] += count
    }

    /// The rate at `now`: the window's sum over the seconds it covers (fewer than `span` for a new worker).
    func perSecond(at now: Date) -> Double {
        var w = self
        w.advance(to: now)
        guard let first = w.first else { return 0 }
        let covered = Double(min(Self.span, max(1, w.second - first + 1)))
        return Double(w.buckets.reduce(0, +)) / covered
    }

    private mutating func advance(to now: Date) {
        let s = Int(now.timeIntervalSince1970)
        guard first != nil else {
            first = s
            second = s
            return
        }
        guard s > second else { return }
        for t in (second + 1)...min(s, second + Self.span) { buckets[t % Self.span] = 0 }
        second = s
    }
}
