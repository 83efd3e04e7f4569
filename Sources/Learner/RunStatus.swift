import Foundation
import Training

/// What `GET /status.json` answers (and the status page and `ppo status` show): the run, its learning curve, the
/// last updates' losses, every worker, and the refusals. Field names are stable (snake_case in JSON, documented in
/// Deploy/README.md); a change that removes or renames one raises `schema`.
///
/// It holds only what `/metrics` counts plus the workers' ids and addresses (which the learner logs anyway): no
/// certificate, key, configuration path or checkpoint path.
public struct RunStatus: Codable, Sendable, Equatable {
    public static let schemaVersion = 1
    public var schema = RunStatus.schemaVersion
    public var generatedAt: Date
    public var run: Run
    /// Mean return of the last 20 episodes after each update, against env steps (thinned to at most
    /// `StatusHistory.maxCurvePoints`).
    public var curve: [CurvePoint]
    /// The last `StatusHistory.maxRecentUpdates` updates, oldest first.
    public var recentUpdates: [UpdateRow]
    /// Connected workers first, then those gone, each group by id.
    public var workers: [WorkerRow]
    public var refusals: Refusals
    public var grants: Grants
    public var checkpoints: Checkpoints
    /// The greedy evaluations while training (absent when the run makes none).
    public var evaluation: Evaluations? = nil

    public struct Run: Codable, Sendable, Equatable {
        public var runID: String
        public var env: String
        /// The preset's name, or the YAML file's name (never its path).
        public var preset: String
        public var seed: UInt64
        /// `training`, `stopping` (a signal asked it to end) or `finished`.
        public var state: String
        public var policyVersion: UInt64
        public var updates: Int
        public var totalUpdates: Int
        public var envSteps: Int
        public var totalEnvSteps: Int
        /// Env steps per second since this learner process started (a resumed run counts from the resume).
        public var stepsPerSecond: Double
        public var elapsedSeconds: Double
        /// Time to the last update at the pace of this process's updates so far (nil before the first one).
        public var etaSeconds: Double?
        public var episodes: Int
        public var recentReturn: Double?
        public var workersConnected: Int
    }

    public struct CurvePoint: Codable, Sendable, Equatable {
        public var envSteps: Int
        public var meanReturn: Double
    }

    public struct UpdateRow: Codable, Sendable, Equatable {
        public var update: Int
        public var envSteps: Int
        public var policyLoss: Double?
        public var valueLoss: Double?
        public var entropy: Double?
        public var approxKL: Double?
        public var clipFraction: Double?
        public var explainedVariance: Double?
        public var seconds: Double
    }

    public struct WorkerRow: Codable, Sendable, Equatable {
        public var id: String
        /// `connected` or `gone`.
        public var state: String
        /// The peer's IP address and port, as the learner sees it.
        public var address: String
        public var envs: Int
        public var transitions: Int
        public var batches: Int
        /// Transitions per second over the last ten seconds.
        public var stepsPerSecond: Double
        public var openGrants: Int
        public var connectedAt: Date
        public var lastSeenAt: Date
        public var secondsSinceSeen: Double
        /// Connections after the first under this id.
        public var reconnects: Int
        /// Why its last connection ended (nil while its first is open).
        public var lastEnd: String?
    }

    public struct Refusals: Codable, Sendable, Equatable {
        /// Frames refused with a protocol error, by error code (`ppo_frames_rejected_total`).
        public var framesRejected: [String: Int]
        /// Transitions received and not trained on, by reason (`ppo_transitions_dropped_total`).
        public var transitionsDropped: [String: Int]
    }

    public struct Grants: Codable, Sendable, Equatable {
        public var issued: Int
        public var completed: Int
        public var returned: Int
        public var open: Int
    }

    public struct Evaluations: Codable, Sendable, Equatable {
        /// `eval_every`, `eval_episodes`, `stop_at_eval_return`.
        public var every: Int
        public var episodes: Int
        public var target: Double?
        /// Every evaluation so far, oldest first, and the best (the policy in best.safetensors).
        public var points: [EvaluationPoint]
        public var best: EvaluationPoint?
        /// The update whose evaluation's first episode `/eval.gif` shows (absent: no video, `--eval-video`).
        public var videoUpdate: Int?
    }

    public struct Checkpoints: Codable, Sendable, Equatable {
        public var written: Int
        public var failures: Int
    }

    /// The JSON of `/status.json`: snake_case keys, sorted, ISO 8601 times.
    public static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys]
        return e
    }

    public static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.dateDecodingStrategy = .iso8601
        return d
    }
}

extension RunStatus.UpdateRow {
    enum CodingKeys: String, CodingKey {
        case update, envSteps, policyLoss, valueLoss, entropy, clipFraction, explainedVariance, seconds
        // convertToSnakeCase would write approx_kl; spelled out so decoding round-trips.
        case approxKL = "approxKl"
    }
}

extension RunStatus.Run {
    enum CodingKeys: String, CodingKey {
        case runID = "runId"
        case env, preset, seed, state, policyVersion, updates, totalUpdates, envSteps, totalEnvSteps, stepsPerSecond,
             elapsedSeconds, etaSeconds, episodes, recentReturn, workersConnected
    }
}
