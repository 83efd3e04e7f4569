import PPOCore

#if !_endian(little)
#error("the wire codec copies floats in memory order and assumes a little-endian host")
#endif

/// Message types (PROTOCOL.md §4).
public enum MessageType: UInt8, Sendable, CaseIterable {
    case hello = 1
    case welcome = 2
    case weights = 3
    case ready = 4
    case grant = 5
    case batch = 6
    case ack = 7
    case heartbeat = 8
    case error = 9
    case goodbye = 10
}

/// Hello (worker → learner), §4.1.
public struct Hello: Equatable, Sendable {
    public var minVersion: UInt16
    public var maxVersion: UInt16
    public var workerID: String
    public var envID: String
    public var envSignature: UInt64
    public var numEnvs: UInt16
    public var capabilities: UInt32

    public init(minVersion: UInt16 = WireProtocol.supportedVersions.lowerBound, maxVersion: UInt16 = WireProtocol.supportedVersions.upperBound,
                workerID: String, envID: String, envSignature: UInt64, numEnvs: UInt16, capabilities: UInt32 = 0) {
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.workerID = workerID
        self.envID = envID
        self.envSignature = envSignature
        self.numEnvs = numEnvs
        self.capabilities = capabilities
    }
}

/// Welcome (learner → worker), §4.2: what the worker needs to build the policy and collect.
public struct Welcome: Equatable, Sendable {
    public var version: UInt16
    public var runID: String
    /// The environment of the run (Gymnasium id).
    public var envID: String
    public var policyVersion: UInt64
    public var seed: UInt64
    public var maxUnackedBatches: UInt16
    public var heartbeatIntervalMilliseconds: UInt32
    /// The policy network (version 5: the seed's MLPs or a convolutional encoder over an image); its head is the
    /// distribution the actor's outputs parameterise: categoricals over segments (Discrete, MultiDiscrete), a
    /// Gaussian (Box; the bounds come from the worker's own env) or Bernoullis (MultiBinary).
    public var network: NetworkSpec
    public var parameterCount: Int
    public var observationClip: Double
    public var normalizeRewards: Bool
    public var gamma: Double
    public var rewardClip: Double
    /// `gymnasium.make` keyword arguments of a `gym:` environment, a JSON object ("" for none); version 2.
    public var envArguments: String
    /// §4.11 signature of the learner's environment (spaces with their bounds, time limit, arguments); version 2.
    public var envSignature: UInt64
    /// A `gym:` environment's registrations and wrappers, as JSON (`EnvironmentSetup`'s text; "" for none); version 4.
    public var envSetup: String

    public init(version: UInt16, runID: String, envID: String, policyVersion: UInt64, seed: UInt64, maxUnackedBatches: UInt16,
                heartbeatIntervalMilliseconds: UInt32, network: NetworkSpec, parameterCount: Int, observationClip: Double,
                normalizeRewards: Bool, gamma: Double, rewardClip: Double, envArguments: String = "", envSignature: UInt64 = 0,
                envSetup: String = "") {
        self.version = version
        self.runID = runID
        self.envID = envID
        self.policyVersion = policyVersion
        self.seed = seed
        self.maxUnackedBatches = maxUnackedBatches
        self.heartbeatIntervalMilliseconds = heartbeatIntervalMilliseconds
        self.network = network
        self.parameterCount = parameterCount
        self.observationClip = observationClip
        self.normalizeRewards = normalizeRewards
        self.gamma = gamma
        self.rewardClip = rewardClip
        self.envArguments = envArguments
        self.envSignature = envSignature
        self.envSetup = envSetup
    }

    /// A Welcome of the seed's MLPs (`hiddenSizes`, `activation`) over `observationSize` values.
    public init(version: UInt16, runID: String, envID: String, policyVersion: UInt64, seed: UInt64, maxUnackedBatches: UInt16,
                heartbeatIntervalMilliseconds: UInt32, activation: Activation, hiddenSizes: [Int], observationSize: Int,
                head: PolicyHead, parameterCount: Int, observationClip: Double, normalizeRewards: Bool,
                gamma: Double, rewardClip: Double, envArguments: String = "", envSignature: UInt64 = 0, envSetup: String = "") {
        self.init(
            version: version, runID: runID, envID: envID, policyVersion: policyVersion, seed: seed, maxUnackedBatches: maxUnackedBatches,
            heartbeatIntervalMilliseconds: heartbeatIntervalMilliseconds,
            network: .separate(observationSize: observationSize, hiddenSizes: hiddenSizes, activation: activation, head: head),
            parameterCount: parameterCount, observationClip: observationClip, normalizeRewards: normalizeRewards, gamma: gamma,
            rewardClip: rewardClip, envArguments: envArguments, envSignature: envSignature, envSetup: envSetup)
    }

    public var observationSize: Int { network.observationSize }
    public var head: PolicyHead { network.head }
}

/// Weights (learner → worker), §4.3: a policy snapshot.
public struct Weights: Equatable, Sendable {
    public var policyVersion: UInt64
    /// Every parameter in the network's `parameters` order.
    public var parameters: [Float]
    /// Observation statistics of this version (nil: observations are not normalised).
    public var normalizer: RunningMeanStd?

    public init(policyVersion: UInt64, parameters: [Float], normalizer: RunningMeanStd?) {
        self.policyVersion = policyVersion
        self.parameters = parameters
        self.normalizer = normalizer
    }
}

/// Grant (learner → worker), §4.5: collect `steps` steps of each env with `policyVersion`.
public struct Grant: Equatable, Sendable {
    public var grantID: UInt32
    public var policyVersion: UInt64
    public var steps: UInt32

    public init(grantID: UInt32, policyVersion: UInt64, steps: UInt32) {
        self.grantID = grantID
        self.policyVersion = policyVersion
        self.steps = steps
    }
}

/// Batch (worker → learner), §5: the transitions of one grant.
public struct BatchMessage: Equatable, Sendable {
    /// How actions travel (§5.2 `action_encoding`).
    public enum ActionEncoding: UInt8, Sendable {
        case uint8Index = 1
        case uint16Index = 2
        case float32 = 3

        /// The compact encoding for a policy head's actions: the smallest index type that holds every choice of a
        /// categorical head (Discrete, MultiDiscrete), bytes for Bernoulli bits, floats for a Gaussian.
        public init(for head: PolicyHead) {
            switch head {
            case .categorical(let segments): self = (segments.max() ?? 0) <= 256 ? .uint8Index : .uint16Index
            case .bernoulli: self = .uint8Index
            case .gaussian: self = .float32
            }
        }

        public init(for space: Space) { self.init(for: PolicyHead(space)) }

        /// Bytes of one action component.
        public var bytes: Int {
            switch self {
            case .uint8Index: 1
            case .uint16Index: 2
            case .float32: 4
            }
        }
    }

    public var grantID: UInt32
    public var actionEncoding: ActionEncoding
    /// Transitions; `batch.policyVersion` is the message's policy version.
    public var batch: TransitionBatch
    /// The observation components that travel as bytes (§5.2 `byte_start`, `byte_count`; version 5): an image's,
    /// every value of them a whole number 0–255. Empty: every component travels as f32.
    public var byteComponents: Range<Int>

    public init(grantID: UInt32, actionEncoding: ActionEncoding, batch: TransitionBatch, byteComponents: Range<Int> = 0..<0) {
        self.grantID = grantID
        self.actionEncoding = actionEncoding
        self.batch = batch
        self.byteComponents = byteComponents
    }

    /// A message whose `components` (an image's; nil for none) travel as bytes when every value of them is a whole
    /// number 0–255 in this batch, else as f32 with the rest.
    public init(grantID: UInt32, actionEncoding: ActionEncoding, batch: TransitionBatch, bytesWherePossible components: Range<Int>?) {
        var bytes = 0..<0
        if let components, components.upperBound <= batch.observationSize {
            let n = batch.count
            let region = batch.observations[(components.lowerBound * n)..<(components.upperBound * n)]
            if region.allSatisfy({ $0 >= 0 && $0 <= 255 && $0 == $0.rounded() }) { bytes = components }
        }
        self.init(grantID: grantID, actionEncoding: actionEncoding, batch: batch, byteComponents: bytes)
    }
}

/// Ack (learner → worker), §4.7.
public struct Ack: Equatable, Sendable {
    public enum Status: UInt8, Sendable {
        case accepted = 0
        case stale = 1
    }

    public var grantID: UInt32
    public var status: Status
    public var transitions: UInt32

    public init(grantID: UInt32, status: Status, transitions: UInt32) {
        self.grantID = grantID
        self.status = status
        self.transitions = transitions
    }
}

/// Goodbye, §4.10.
public struct Goodbye: Equatable, Sendable {
    public enum Reason: UInt8, Sendable {
        case finished = 0
        case shuttingDown = 1
        case leaving = 2
    }

    public var reason: Reason
    public var message: String

    public init(reason: Reason, message: String) {
        self.reason = reason
        self.message = message
    }
}

/// Every message of the protocol.
public enum Message: Equatable, Sendable {
    case hello(Hello)
    case welcome(Welcome)
    case weights(Weights)
    case ready(policyVersion: UInt64)
    case grant(Grant)
    case batch(BatchMessage)
    case ack(Ack)
    case heartbeat(sentAtNanoseconds: UInt64)
    case error(code: UInt16, message: String)
    case goodbye(Goodbye)

    public var type: MessageType {
        switch self {
        case .hello: .hello
        case .welcome: .welcome
        case .weights: .weights
        case .ready: .ready
        case .grant: .grant
        case .batch: .batch
        case .ack: .ack
        case .heartbeat: .heartbeat
        case .error: .error
        case .goodbye: .goodbye
        }
    }

    /// An `Error` message for a `WireError`.
    public static func error(_ e: WireError) -> Message {
        .error(code: e.code.rawValue, message: String(e.detail.utf8.prefix(WireProtocol.maxMessageBytes)) ?? "")
    }
}
