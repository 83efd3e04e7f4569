import Foundation
import GymBridge
import NIOSSL
import Training
import Wire

/// Everything a learner is configured by.
public struct LearnerOptions: Sendable {
    public var run: RunConfiguration
    public var seed: UInt64
    /// Address to listen on and port (0: any free port).
    public var host: String
    public var port: Int
    /// Mutual TLS (nil: plaintext, allowed on loopback only).
    public var tls: NIOSSLContext?
    public var limits: WireLimits
    public var helloTimeout: Duration
    public var idleTimeout: Duration
    public var maxConnections: Int
    public var maxUnackedBatches: Int
    public var heartbeatIntervalMilliseconds: Int
    /// Largest grant, in steps of each of a worker's envs (nil: an eighth of the rollout, `Scheduler.defaultShare`).
    public var maxStepsPerGrant: Int?
    /// Time a worker has to deliver a grant's batch; after it the learner closes the connection and grants the
    /// steps to others (a worker that heartbeats but never delivers would otherwise stall the version).
    public var grantTimeout: Duration
    public var checkpoints: CheckpointPolicy
    public var resume: Checkpoint?
    public var runID: String
    /// Port of the Prometheus `/metrics` endpoint (nil: none).
    public var metricsPort: Int?
    public var metricsHost: String
    /// How a `gym:` environment's bridge is started (the learner starts one once, to learn the spaces).
    public var bridge: BridgeOptions
    /// The preset's name (or the YAML file's name) the run was configured from, for the status page.
    public var preset: String
    /// After the last update, keep serving `/status.json`, `/metrics` and the health checks, and tell every worker
    /// that connects that the run is finished, until stopped (SIGTERM): the shape a Kubernetes StatefulSet needs,
    /// which restarts a learner that exits.
    public var serveAfterFinish: Bool
    /// Threads of the PPO update (`PPOUpdater.threads`).
    public var learnerThreads: Int
    /// How many versions older than the trainer a trained transition's policy may be: 0 (strictly on-policy, the
    /// default) or 1 (workers collect the next rollout with the weights of `v` while the learner trains on `v`'s).
    /// The run's `max_policy_lag` (a resumed run's as `ResumeRules` settles it), read from there, not copied.
    public var maxPolicyLag: Int { run.ppo.maxPolicyLag }
    /// Called after every update (on the learner's executor; keep it quick).
    public var progress: @Sendable (TrainingProgress) -> Void
    /// A resumed run's evaluations so far (`EvaluationHistory.read`; its best goes on).
    public var evaluationHistory = EvaluationHistory()
    /// Called after every evaluation while training (on the learner's executor; keep it quick).
    public var evaluated: @Sendable (EvaluationPoint) -> Void = { _ in }

    public init(
        run: RunConfiguration, seed: UInt64, host: String = "0.0.0.0", port: Int = 9000, tls: NIOSSLContext?,
        limits: WireLimits = .default, helloTimeout: Duration = .seconds(10), idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 256, maxUnackedBatches: Int = 4, heartbeatIntervalMilliseconds: Int = 5000,
        maxStepsPerGrant: Int? = nil, grantTimeout: Duration = .seconds(120), checkpoints: CheckpointPolicy = .none, resume: Checkpoint? = nil,
        runID: String? = nil, metricsPort: Int? = nil, metricsHost: String = "0.0.0.0", bridge: BridgeOptions = .default,
        preset: String? = nil, serveAfterFinish: Bool = false, learnerThreads: Int = 1, progress: @escaping @Sendable (TrainingProgress) -> Void = { _ in }
    ) {
        self.run = run
        self.seed = seed
        self.host = host
        self.port = port
        self.tls = tls
        self.limits = limits
        self.helloTimeout = helloTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.maxUnackedBatches = maxUnackedBatches
        // Workers must speak well within the idle timeout, or an idle worker waiting for its next grant would be
        // closed as silent: at most a third of it.
        self.heartbeatIntervalMilliseconds = max(100, min(heartbeatIntervalMilliseconds, Int(idleTimeout.wholeNanoseconds / 3_000_000)))
        self.maxStepsPerGrant = maxStepsPerGrant
        self.grantTimeout = grantTimeout
        self.checkpoints = checkpoints
        self.resume = resume
        self.runID = runID ?? "\(run.envID)-\(seed)"
        self.metricsPort = metricsPort
        self.metricsHost = metricsHost
        self.bridge = bridge
        self.preset = preset ?? run.envID
        self.serveAfterFinish = serveAfterFinish
        self.learnerThreads = learnerThreads
        self.progress = progress
    }
}
