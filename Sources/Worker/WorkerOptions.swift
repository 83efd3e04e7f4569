import Environments
import GymBridge
import NIOSSL

/// Everything a worker is configured by.
public struct WorkerOptions: Sendable {
    public var host: String
    public var port: Int
    /// Mutual TLS (nil: plaintext, loopback only).
    public var tls: NIOSSLContext?
    /// The name the learner's certificate must carry (defaults to `host`).
    public var serverHostname: String?
    public var workerID: String
    /// The environment this worker insists on (nil: whatever the learner trains), with its `gymnasium.make`
    /// arguments.
    public var envID: String?
    public var envArguments: String
    /// With `envID`: its registrations and wrappers.
    public var envSetup: EnvironmentSetup
    /// How Gymnasium environments are started (interpreter, timeout).
    public var bridge: BridgeOptions
    /// Environment failures in a row (each one restarts the environment) before the worker gives up.
    public var maxEnvironmentFailures: Int
    public var envs: Int
    /// Reconnect backoff: first delay, cap, and how many failed attempts in a row before giving up (nil: never).
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    public var maxAttempts: Int?
    /// How long to wait for the learner's Welcome after connecting.
    public var welcomeTimeout: Duration
    /// How long the learner may stay silent while this worker waits for it before the connection counts as dead
    /// (closed, its grants given up, a reconnect). nil: three of the Welcome's heartbeat intervals (the learner
    /// echoes every heartbeat, so a live learner is heard at least once an interval).
    public var learnerTimeout: Duration?
    /// Benchmarking: every vector step of the environments takes at least this long (`SteppingDelay`).
    public var stepDelay: Duration?

    public init(
        host: String, port: Int, tls: NIOSSLContext?, serverHostname: String? = nil, workerID: String, envID: String? = nil,
        envs: Int = 8, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(10),
        maxAttempts: Int? = nil, welcomeTimeout: Duration = .seconds(10), envArguments: String = "", envSetup: EnvironmentSetup = .none,
        bridge: BridgeOptions = .default, maxEnvironmentFailures: Int = 3, learnerTimeout: Duration? = nil,
        stepDelay: Duration? = nil
    ) {
        self.host = host
        self.port = port
        self.tls = tls
        self.serverHostname = serverHostname
        self.workerID = workerID
        self.envID = envID
        self.envs = envs
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.maxAttempts = maxAttempts
        self.welcomeTimeout = welcomeTimeout
        self.envArguments = envArguments
        self.envSetup = envSetup
        self.bridge = bridge
        self.maxEnvironmentFailures = maxEnvironmentFailures
        self.learnerTimeout = learnerTimeout
        self.stepDelay = stepDelay.flatMap { $0 > .zero ? $0 : nil }
    }

    /// The silence after which a connection counts as dead, for a learner that heartbeats every `interval`.
    public func silenceLimit(heartbeatInterval interval: Duration) -> Duration {
        learnerTimeout ?? max(.seconds(1), interval * 3)
    }
}

/// Why a worker stopped for good.
public enum WorkerError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The learner refused this worker (bad certificate, wrong environment, unsupported version…).
    case refused(String)
    /// The learner could not be reached within the allowed attempts.
    case unreachable(String)
    /// The worker's own environment or configuration cannot run.
    case local(String)

    public var description: String {
        switch self {
        case .refused(let s): "the learner refused this worker: \(s)"
        case .unreachable(let s): "cannot reach the learner: \(s)"
        case .local(let s): s
        }
    }
}
