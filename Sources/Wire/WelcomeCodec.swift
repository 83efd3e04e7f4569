import NIOCore
import PPOCore

/// Welcome (learner → worker), PROTOCOL.md §4.2: the run, the network's shape, and what collection needs of the
/// config. Decoding checks every bound a worker relies on before it sizes anything by them.
extension Welcome: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        w.integer(version)
        w.string(runID, maxBytes: WireProtocol.maxIDBytes)
        w.string(envID, maxBytes: WireProtocol.maxEnvIDBytes)
        w.integer(policyVersion)
        w.integer(seed)
        w.integer(maxUnackedBatches)
        w.integer(heartbeatIntervalMilliseconds)
        w.integer(UInt8(activation == .tanh ? 0 : 1))
        w.integer(UInt8(clamping: hiddenSizes.count))
        for width in hiddenSizes { w.integer(UInt32(clamping: width)) }
        w.integer(UInt32(clamping: observationSize))
        Self.encode(head, into: &w)
        w.integer(UInt32(clamping: parameterCount))
        w.double(observationClip)
        w.integer(UInt8(normalizeRewards ? 1 : 0))
        w.double(gamma)
        w.double(rewardClip)
        w.string(envArguments, maxBytes: WireProtocol.maxEnvArgumentBytes)
        w.integer(envSignature)
        w.string(envSetup, maxBytes: WireProtocol.maxEnvSetupBytes)
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> Welcome {
        let version = try r.integer("version", as: UInt16.self)
        let run = try r.string("run_id", maxBytes: WireProtocol.maxIDBytes)
        guard !run.isEmpty else { throw r.fail("run_id is empty") }
        let envID = try r.string("env_id", maxBytes: WireProtocol.maxEnvIDBytes)
        guard !envID.isEmpty else { throw r.fail("env_id is empty") }
        let policyVersion = try r.integer("policy_version", as: UInt64.self)
        let seed = try r.integer("seed", as: UInt64.self)
        let maxUnacked = try r.integer("max_unacked_batches", as: UInt16.self)
        guard maxUnacked >= 1 else { throw r.fail("max_unacked_batches is 0") }
        let heartbeat = try r.integer("heartbeat_interval_ms", as: UInt32.self)
        guard heartbeat >= 100 else { throw r.fail("heartbeat_interval_ms \(heartbeat) is below 100") }
        let network = try decodeNetwork(&r)
        let parameterCount = Int(try r.integer("parameter_count", as: UInt32.self))
        let collection = try decodeCollection(&r, envID: envID)
        let welcome = Welcome(
            version: version, runID: run, envID: envID, policyVersion: policyVersion, seed: seed, maxUnackedBatches: maxUnacked,
            heartbeatIntervalMilliseconds: heartbeat, activation: network.activation, hiddenSizes: network.hidden,
            observationSize: network.observationSize, head: network.head, parameterCount: parameterCount,
            observationClip: collection.observationClip, normalizeRewards: collection.normalizeRewards, gamma: collection.gamma,
            rewardClip: collection.rewardClip, envArguments: collection.envArguments, envSignature: collection.envSignature,
            envSetup: collection.envSetup)
        guard parameterCount == welcome.impliedParameterCount else {
            throw WireError(.shapeMismatch, "welcome: parameter_count \(parameterCount), the architecture has \(welcome.impliedParameterCount)")
        }
        return welcome
    }

    /// activation … head: the actor–critic's shape, within `PPOConfig`'s bounds and the wire's sizes.
    private static func decodeNetwork(_ r: inout PayloadReader) throws(WireError)
        -> (activation: Activation, hidden: [Int], observationSize: Int, head: PolicyHead) {
        let activation: Activation
        switch try r.integer("activation", as: UInt8.self) {
        case 0: activation = .tanh
        case 1: activation = .relu
        case let a: throw r.fail("activation \(a) is not 0 (tanh) or 1 (relu)")
        }
        let hiddenCount = Int(try r.integer("hidden_count", as: UInt8.self))
        let counts = PPOConfig.hiddenLayerCounts, widths = PPOConfig.hiddenWidths
        guard counts.contains(hiddenCount) else { throw r.fail("hidden_count \(hiddenCount) is outside \(counts.lowerBound)–\(counts.upperBound)") }
        var hidden: [Int] = []
        for i in 0..<hiddenCount {
            let width = Int(try r.integer("hidden width \(i)", as: UInt32.self))
            guard widths.contains(width) else { throw r.fail("hidden width \(width) is outside \(widths.lowerBound)–\(widths.upperBound)") }
            hidden.append(width)
        }
        let obs = Int(try r.integer("observation_size", as: UInt32.self))
        guard WireProtocol.sizes.contains(obs) else { throw r.fail("observation_size \(obs) is outside 1–\(WireProtocol.sizes.upperBound)") }
        return (activation, hidden, obs, try decodeHead(&r))
    }

    /// head_kind and its sizes (§4.2): 0 = categoricals (a u16 count of segments, then each segment's u32
    /// number of choices), 1 = Gaussian (u32 dimension), 2 = Bernoullis (u32 count).
    static func encode(_ head: PolicyHead, into w: inout PayloadWriter) {
        switch head {
        case .categorical(let segments):
            w.integer(UInt8(0))
            w.integer(UInt16(clamping: segments.count))
            for n in segments { w.integer(UInt32(clamping: n)) }
        case .gaussian(let dimension):
            w.integer(UInt8(1))
            w.integer(UInt32(clamping: dimension))
        case .bernoulli(let count):
            w.integer(UInt8(2))
            w.integer(UInt32(clamping: count))
        }
    }

    /// A head whose outputs (logits, means) and action components each fit the wire's sizes; every segment of a
    /// categorical head has at least one choice and the head at least two choices in all.
    private static func decodeHead(_ r: inout PayloadReader) throws(WireError) -> PolicyHead {
        let sizes = WireProtocol.sizes
        switch try r.integer("head_kind", as: UInt8.self) {
        case 0:
            let count = Int(try r.integer("segment_count", as: UInt16.self))
            guard count >= 1 else { throw r.fail("a categorical head has no segments") }
            var segments: [Int] = []
            var total = 0
            for i in 0..<count {
                let n = Int(try r.integer("segment \(i)", as: UInt32.self))
                total += n
                guard n >= 1, total <= sizes.upperBound else {
                    throw r.fail("segment \(i) has \(n) choices; each needs 1 or more, \(sizes.upperBound) in all at most")
                }
                segments.append(n)
            }
            guard total >= 2 else { throw r.fail("a categorical head of \(total) choice cannot act") }
            return .categorical(segments: segments)
        case 1:
            let d = Int(try r.integer("dimension", as: UInt32.self))
            guard sizes.contains(d) else { throw r.fail("action dimension \(d) is outside 1–\(sizes.upperBound)") }
            return .gaussian(dimension: d)
        case 2:
            let n = Int(try r.integer("bernoulli_count", as: UInt32.self))
            guard sizes.contains(n) else { throw r.fail("bernoulli count \(n) is outside 1–\(sizes.upperBound)") }
            return .bernoulli(count: n)
        case let kind: throw r.fail("head_kind \(kind) is not 0 (categorical), 1 (gaussian) or 2 (bernoulli)")
        }
    }

    /// observation_clip … env_setup: what collection needs of the config, and how the environment is made.
    private static func decodeCollection(_ r: inout PayloadReader, envID: String) throws(WireError)
        -> (observationClip: Double, normalizeRewards: Bool, gamma: Double, rewardClip: Double, envArguments: String, envSignature: UInt64,
            envSetup: String) {
        let observationClip = try r.double("observation_clip")
        guard observationClip.isFinite, observationClip > 0 else { throw WireError(.invalidValue, "welcome: observation_clip is \(observationClip)") }
        let normalizeFlag = try r.integer("normalize_rewards", as: UInt8.self)
        guard normalizeFlag <= 1 else { throw r.fail("normalize_rewards \(normalizeFlag) is not 0 or 1") }
        let gamma = try r.double("gamma")
        guard gamma >= 0, gamma <= 1 else { throw WireError(.invalidValue, "welcome: gamma is \(gamma)") }
        let rewardClip = try r.double("reward_clip")
        guard rewardClip.isFinite, rewardClip > 0 else { throw WireError(.invalidValue, "welcome: reward_clip is \(rewardClip)") }
        let envArguments = try r.string("env_args", maxBytes: WireProtocol.maxEnvArgumentBytes)
        guard envArguments.isEmpty || envID.hasPrefix("gym:") else { throw r.fail("env_args given for \(envID), which is not a gym: environment") }
        let envSignature = try r.integer("env_signature", as: UInt64.self)
        // Its paths and arguments are the worker's to check (`EnvironmentSetup(text:)`), as env_args are.
        let envSetup = try r.string("env_setup", maxBytes: WireProtocol.maxEnvSetupBytes)
        guard envSetup.isEmpty || envID.hasPrefix("gym:") else { throw r.fail("env_setup given for \(envID), which is not a gym: environment") }
        return (observationClip, normalizeFlag == 1, gamma, rewardClip, envArguments, envSignature, envSetup)
    }

    /// The number of parameters of the actor–critic this Welcome describes.
    public var impliedParameterCount: Int {
        ActorCritic.parameterCount(observationSize: observationSize, hiddenSizes: hiddenSizes, head: head)
    }
}
