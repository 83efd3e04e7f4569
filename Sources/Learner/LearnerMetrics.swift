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
    /// The greedy evaluations while training (`eval_every`; exported only when the run evaluates): how many, the
    /// latest and the best, the time they took, the time the learner waited for one with a full rollout to train
    /// on, and whether one reached `stop_at_eval_return` (nil otherwise).
    public var evaluates = false
    public var evaluations = 0
    public var lastEvaluation: EvaluationPoint?
    public var bestEvaluation: EvaluationPoint?
    public var evaluationSecondsTotal = 0.0
    public var evaluationWaitSecondsTotal = 0.0
    public var reachedEvalTarget: Bool?

    public init() {}

    public var droppedTotal: Int { transitionsDropped.values.reduce(0, +) }

    /// What the evaluations while training came to, for the end of a run (nil: there were none).
    public var evaluationLine: String? {
        guard evaluations > 0 else { return nil }
        var line = String(format: "%d evaluations while training took %.1f s (a full rollout waited %.1f s for them)", evaluations,
                          evaluationSecondsTotal, evaluationWaitSecondsTotal)
        if let best = bestEvaluation {
            line += String(format: "; the best, %.1f ± %.1f after update %d, is in best.safetensors", best.mean, best.std, best.update)
        }
        return line
    }

    /// The evaluations so far (`evaluates`: the run makes them).
    mutating func note(_ history: EvaluationHistory, evaluates: Bool) {
        self.evaluates = evaluates
        evaluations = history.points.count
        lastEvaluation = history.latest
        bestEvaluation = history.best
        evaluationSecondsTotal = history.seconds
    }

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
        if evaluates {
            metric("ppo_evaluations_total", "counter", "Greedy evaluations made while training.", [("", Double(evaluations))])
            metric("ppo_eval_mean_return", "gauge", "Mean return of the latest greedy evaluation.", [("", lastEvaluation?.mean ?? .nan)])
            metric("ppo_eval_best_mean_return", "gauge", "Best mean return of a greedy evaluation (the policy in best.safetensors).",
                   [("", bestEvaluation?.mean ?? .nan)])
            metric("ppo_evaluation_seconds_total", "counter", "Time spent in greedy evaluations (the workers collect meanwhile).",
                   [("", evaluationSecondsTotal)])
            metric("ppo_evaluation_wait_seconds_total", "counter", "Time a full rollout waited for an evaluation to end before its update.",
                   [("", evaluationWaitSecondsTotal)])
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
