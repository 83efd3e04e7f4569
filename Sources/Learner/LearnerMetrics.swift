import Training
import Wire

/// Counters of a learner run, exported on `/metrics` in the Prometheus text format and summarised at the end.
///
/// Accounting: every transition of a decoded, valid Batch is *received*; it is then either *trained* on or
/// *dropped* with a reason (`stale`: its version had moved on; `unfinished`: the run ended before its version
/// trained). So `received = trained + dropped` once a run is over. Batches refused for bad content are
/// *rejected* (by error code) and never counted as received.
public struct LearnerMetrics: Sendable, Equatable, Codable {
    public var policyVersion: UInt64 = 0
    public var updates = 0
    public var envSteps = 0
    public var workersConnected = 0
    public var connectionsTotal = 0
    public var transitionsReceived = 0
    public var transitionsTrained = 0
    public var transitionsDropped: [String: Int] = [:]
    /// The run's `--max-policy-lag`, and the transitions trained on by how many versions older than the trainer
    /// their policy was (exported only when the lag is above 0, so a strictly on-policy run's `/metrics` is unchanged).
    public var maxPolicyLag = 0
    public var transitionsTrainedByLag: [String: Int] = [:]
    public var framesRejected: [String: Int] = [:]
    public var bytesIn = 0
    /// Grants issued, completed by their batch, returned to the pool (session closed or version ended), open now.
    public var grantsIssued = 0
    public var grantsCompleted = 0
    public var grantsReturned = 0
    public var grantsOpen = 0
    public var lastUpdateSeconds = 0.0
    public var updateSecondsTotal = 0.0
    public var episodes = 0
    public var recentReturn: Double?
    /// True when the run ended early because `recentReturn` reached its `stop_at_return` (nil otherwise).
    public var reachedTarget: Bool?
    /// Checkpoint writes and failures; `lastFailure` set at the end means the final checkpoint was not written.
    public var checkpoints = CheckpointRecord()

    public init() {}

    public var droppedTotal: Int { transitionsDropped.values.reduce(0, +) }

    /// The Prometheus exposition text.
    public func prometheusText() -> String {
        var lines: [String] = []
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, Double)]) {
            lines.append("# HELP \(name) \(help)")
            lines.append("# TYPE \(name) \(type)")
            for (labels, value) in samples {
                lines.append("\(name)\(labels) \(value.isFinite ? String(value) : "NaN")")
            }
        }
        metric("ppo_policy_version", "gauge", "Current policy version (one per update).", [("", Double(policyVersion))])
        metric("ppo_updates_total", "counter", "PPO updates completed.", [("", Double(updates))])
        metric("ppo_env_steps_total", "counter", "Environment steps trained on.", [("", Double(envSteps))])
        metric("ppo_workers_connected", "gauge", "Workers connected now.", [("", Double(workersConnected))])
        metric("ppo_connections_total", "counter", "Connections accepted.", [("", Double(connectionsTotal))])
        metric("ppo_transitions_received_total", "counter", "Transitions in valid batches received.", [("", Double(transitionsReceived))])
        metric("ppo_transitions_trained_total", "counter", "Transitions trained on.", [("", Double(transitionsTrained))])
        if maxPolicyLag > 0 {
            let lags = Set((0...maxPolicyLag).map(String.init)).union(transitionsTrainedByLag.keys).sorted { Int($0) ?? 0 < Int($1) ?? 0 }
            metric("ppo_transitions_trained_by_lag_total", "counter",
                   "Transitions trained on, by how many versions their policy was behind the trainer's.",
                   lags.map { ("{lag=\"\($0)\"}", Double(transitionsTrainedByLag[$0, default: 0])) })
        }
        // Every label value is exposed from the start (at 0), so that rate() and alerts see the first increment.
        let dropReasons = Set(["stale", "unfinished"]).union(transitionsDropped.keys).sorted()
        let dropped = dropReasons.map { ("{reason=\"\($0)\"}", Double(transitionsDropped[$0, default: 0])) }
        metric("ppo_transitions_dropped_total", "counter", "Transitions received but not trained on, by reason.", dropped)
        let rejectReasons = Set(WireError.Code.allCases.map { "\($0)" }).union(framesRejected.keys).sorted()
        let rejected = rejectReasons.map { ("{reason=\"\($0)\"}", Double(framesRejected[$0, default: 0])) }
        metric("ppo_frames_rejected_total", "counter", "Frames refused with a protocol error, by error.", rejected)
        metric("ppo_grants_issued_total", "counter", "Grants issued to workers.", [("", Double(grantsIssued))])
        metric("ppo_grants_completed_total", "counter", "Grants whose batch arrived.", [("", Double(grantsCompleted))])
        metric("ppo_grants_returned_total", "counter", "Grants returned to the pool (worker gone or version ended).", [("", Double(grantsReturned))])
        metric("ppo_grants_open", "gauge", "Grants issued and not yet completed or returned.", [("", Double(grantsOpen))])
        metric("ppo_received_bytes_total", "counter", "Bytes of frames received.", [("", Double(bytesIn))])
        metric("ppo_update_duration_seconds", "gauge", "Duration of the last update (GAE and PPO epochs).", [("", lastUpdateSeconds)])
        metric("ppo_update_duration_seconds_total", "counter", "Time spent in updates.", [("", updateSecondsTotal)])
        metric("ppo_episodes_total", "counter", "Episodes finished by the workers.", [("", Double(episodes))])
        metric("ppo_checkpoints_written_total", "counter", "Checkpoints written.", [("", Double(checkpoints.written))])
        metric("ppo_checkpoint_failures_total", "counter", "Checkpoint writes that failed (the run went on; the last one written stays).", [("", Double(checkpoints.failures))])
        metric("ppo_episode_return", "gauge", "Mean return of the last 20 episodes.", [("", recentReturn ?? .nan)])
        return lines.joined(separator: "\n") + "\n"
    }
}
