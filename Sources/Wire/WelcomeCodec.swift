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
        Self.encode(network, into: &w)
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
            heartbeatIntervalMilliseconds: heartbeat, network: network, parameterCount: parameterCount,
            observationClip: collection.observationClip, normalizeRewards: collection.normalizeRewards, gamma: collection.gamma,
            rewardClip: collection.rewardClip, envArguments: collection.envArguments, envSignature: collection.envSignature,
            envSetup: collection.envSetup)
        guard parameterCount == welcome.impliedParameterCount else {
            throw WireError(.shapeMismatch, "welcome: parameter_count \(parameterCount), the architecture has \(welcome.impliedParameterCount)")
        }
        return welcome
    }

    /// network_kind, its fields, then the head (§4.2): 0 = the seed's MLPs (activation, hidden widths, observation
    /// size), 1 = a convolutional encoder (observation size, the image's place and shape, the convolutions, the
    /// shared layer).
    static func encode(_ network: NetworkSpec, into w: inout PayloadWriter) {
        switch network.body {
        case .separate(let hidden, let activation):
            w.integer(UInt8(0))
            w.integer(UInt8(activation == .tanh ? 0 : 1))
            w.integer(UInt8(clamping: hidden.count))
            for width in hidden { w.integer(UInt32(clamping: width)) }
            w.integer(UInt32(clamping: network.observationSize))
        case .convolutional(let image, let convolutions, let hidden):
            w.integer(UInt8(1))
            w.integer(UInt32(clamping: network.observationSize))
            for value in [image.offset, image.height, image.width, image.channels] { w.integer(UInt32(clamping: value)) }
            w.integer(UInt8(image.channelsFirst ? 1 : 0))
            w.double(Double(image.scale))
            w.integer(UInt8(clamping: convolutions.count))
            for conv in convolutions {
                for value in [conv.outChannels, conv.kernel, conv.stride] { w.integer(UInt32(clamping: value)) }
            }
            w.integer(UInt32(clamping: hidden))
        }
        encode(network.head, into: &w)
    }

    /// The network, within `PPOConfig`'s bounds and the wire's sizes, buildable (`NetworkSpec.problem`).
    private static func decodeNetwork(_ r: inout PayloadReader) throws(WireError) -> NetworkSpec {
        let body: NetworkSpec.Body, observationSize: Int
        switch try r.integer("network_kind", as: UInt8.self) {
        case 0:
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
            observationSize = try decodeObservationSize(&r)
            body = .separate(hidden: hidden, activation: activation)
        case 1:
            observationSize = try decodeObservationSize(&r)
            body = try decodeConvolutional(&r)
        case let kind: throw r.fail("network_kind \(kind) is not 0 (MLPs) or 1 (convolutional)")
        }
        let network = NetworkSpec(observationSize: observationSize, body: body, head: try decodeHead(&r))
        if let problem = network.problem { throw WireError(.shapeMismatch, "welcome: \(problem)") }
        return network
    }

    private static func decodeObservationSize(_ r: inout PayloadReader) throws(WireError) -> Int {
        let obs = Int(try r.integer("observation_size", as: UInt32.self))
        guard WireProtocol.sizes.contains(obs) else { throw r.fail("observation_size \(obs) is outside 1–\(WireProtocol.sizes.upperBound)") }
        return obs
    }

    /// A convolutional body's fields; their bounds and fit are `NetworkSpec.problem`'s to check.
    private static func decodeConvolutional(_ r: inout PayloadReader) throws(WireError) -> NetworkSpec.Body {
        var values: [Int] = []
        for name in ["image_offset", "image_height", "image_width", "image_channels"] {
            values.append(Int(try r.integer(name, as: UInt32.self)))
        }
        let first = try r.integer("channels_first", as: UInt8.self)
        guard first <= 1 else { throw r.fail("channels_first \(first) is not 0 or 1") }
        let scale = try r.double("input_scale")
        guard scale.isFinite, scale <= 1, Float(scale) > 0 else { throw r.fail("input_scale \(scale) is not in (0, 1] as a float32") }
        let count = Int(try r.integer("convolution_count", as: UInt8.self))
        guard (1...PPOConfig.maxConvolutions).contains(count) else { throw r.fail("convolution_count \(count) is outside 1–\(PPOConfig.maxConvolutions)") }
        var convolutions: [ConvolutionalActorCritic.Convolution] = []
        for i in 0..<count {
            let out = Int(try r.integer("convolution \(i) out_channels", as: UInt32.self))
            let kernel = Int(try r.integer("convolution \(i) kernel", as: UInt32.self))
            let stride = Int(try r.integer("convolution \(i) stride", as: UInt32.self))
            convolutions.append(.init(outChannels: out, kernel: kernel, stride: stride))
        }
        let hidden = Int(try r.integer("shared_hidden", as: UInt32.self))
        let image = ImageLayout(offset: values[0], height: values[1], width: values[2], channels: values[3],
                                channelsFirst: first == 1, scale: Float(scale))
        return .convolutional(image: image, convolutions: convolutions, hidden: hidden)
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

    /// The number of parameters of the network this Welcome describes.
    public var impliedParameterCount: Int { network.parameterCount }
}
