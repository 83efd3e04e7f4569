import Foundation

extension RunStatus {
    /// The status document from the learner's counters, roster and history. `openGrants` counts the grants open
    /// on a set of sessions.
    init(metrics m: LearnerMetrics, run: Run, roster: WorkerRoster, history: StatusHistory, now: Date,
         openGrants: (Set<Int>) -> Int) {
        let rows = roster.records.values.map { r in
            WorkerRow(
                id: r.id, state: r.sessions.isEmpty ? "gone" : "connected", address: r.address, envs: r.envs,
                transitions: r.transitions, batches: r.batches,
                stepsPerSecond: r.sessions.isEmpty ? 0 : r.rate.perSecond(at: now),
                openGrants: openGrants(r.sessions), connectedAt: r.connectedAt, lastSeenAt: r.lastSeen,
                secondsSinceSeen: max(0, now.timeIntervalSince(r.lastSeen)), reconnects: max(0, r.connections - 1),
                lastEnd: r.lastEnd)
        }
        self.init(
            generatedAt: now, run: run, curve: history.curve, recentUpdates: history.recent,
            workers: rows.sorted { ($0.state, $0.id) < ($1.state, $1.id) },
            refusals: Refusals(framesRejected: m.framesRejected, transitionsDropped: m.transitionsDropped),
            grants: Grants(issued: m.grantsIssued, completed: m.grantsCompleted, returned: m.grantsReturned, open: m.grantsOpen),
            checkpoints: Checkpoints(written: m.checkpoints.written, failures: m.checkpoints.failures))
    }
}
