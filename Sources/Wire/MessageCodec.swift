import NIOCore
import PPOCore

/// Payload encoding and decoding of every message (PROTOCOL.md §4 and §5). Decoding checks every bound the
/// spec gives that does not depend on the run; `BatchMessage.validate(against:)` checks the rest.
public enum MessageCodec {
    /// Appends the payload of `message` to `buffer`.
    public static func encodePayload(_ message: Message, into buffer: inout ByteBuffer) {
        var w = PayloadWriter(buffer: buffer)
        buffer = ByteBuffer()  // keep `w.buffer` uniquely referenced while writing
        defer { buffer = w.buffer }
        switch message {
        case .hello(let h):
            w.integer(h.minVersion)
            w.integer(h.maxVersion)
            w.string(h.workerID, maxBytes: WireProtocol.maxIDBytes)
            w.string(h.envID, maxBytes: WireProtocol.maxEnvIDBytes)
            w.integer(h.envSignature)
            w.integer(h.numEnvs)
            w.integer(h.capabilities)
        case .welcome(let m):
            w.integer(m.version)
            w.string(m.runID, maxBytes: WireProtocol.maxIDBytes)
            w.string(m.envID, maxBytes: WireProtocol.maxEnvIDBytes)
            w.integer(m.policyVersion)
            w.integer(m.seed)
            w.integer(m.maxUnackedBatches)
            w.integer(m.heartbeatIntervalMilliseconds)
            w.integer(UInt8(m.activation == .tanh ? 0 : 1))
            w.integer(UInt8(clamping: m.hiddenSizes.count))
            for width in m.hiddenSizes { w.integer(UInt32(clamping: width)) }
            w.integer(UInt32(clamping: m.observationSize))
            switch m.actionKind {
            case .discrete(let n):
                w.integer(UInt8(0))
                w.integer(UInt32(clamping: n))
            case .continuous(let d):
                w.integer(UInt8(1))
                w.integer(UInt32(clamping: d))
            }
            w.integer(UInt32(clamping: m.parameterCount))
            w.double(m.observationClip)
            w.integer(UInt8(m.normalizeRewards ? 1 : 0))
            w.double(m.gamma)
            w.double(m.rewardClip)
            w.string(m.envArguments, maxBytes: WireProtocol.maxEnvArgumentBytes)
            w.integer(m.envSignature)
        case .weights(let m):
            w.integer(m.policyVersion)
            w.integer(UInt32(clamping: m.parameters.count))
            w.floats(m.parameters)
            if let n = m.normalizer {
                w.integer(UInt32(clamping: n.dimension))
                w.double(n.count)
                w.doubles(n.mean)
                w.doubles(n.variance)
            } else {
                w.integer(UInt32(0))
            }
        case .ready(let v):
            w.integer(v)
        case .grant(let g):
            w.integer(g.grantID)
            w.integer(g.policyVersion)
            w.integer(g.steps)
        case .batch(let b):
            encodeBatch(b, into: &w)
        case .ack(let a):
            w.integer(a.grantID)
            w.integer(a.status.rawValue)
            w.integer(a.transitions)
        case .heartbeat(let t):
            w.integer(t)
        case .error(let code, let text):
            w.integer(code)
            w.string(text, maxBytes: WireProtocol.maxMessageBytes)
        case .goodbye(let g):
            w.integer(g.reason.rawValue)
            w.string(g.message, maxBytes: WireProtocol.maxMessageBytes)
        }
    }

    /// Parses a whole payload of `type`.
    public static func decodePayload(_ type: MessageType, _ payload: ByteBuffer) throws(WireError) -> Message {
        var r = PayloadReader(payload, message: type)
        let message: Message
        switch type {
        case .hello:
            let minV = try r.integer("min_version", as: UInt16.self)
            let maxV = try r.integer("max_version", as: UInt16.self)
            guard minV >= 1, maxV >= minV else { throw r.fail("version range \(minV)...\(maxV) is empty or starts at 0") }
            let worker = try r.string("worker_id", maxBytes: WireProtocol.maxIDBytes)
            guard !worker.isEmpty, worker.utf8.allSatisfy(isIDByte) else {
                throw r.fail("worker_id must be 1–64 characters of A–Z a–z 0–9 . _ -")
            }
            let env = try r.string("env_id", maxBytes: WireProtocol.maxEnvIDBytes)
            let signature = try r.integer("env_signature", as: UInt64.self)
            guard !env.isEmpty || signature == 0 else { throw r.fail("env_signature must be 0 when env_id is empty") }
            let k = try r.integer("num_envs", as: UInt16.self)
            guard (1...4096).contains(k) else { throw r.fail("num_envs \(k) is outside 1–4096") }
            let caps = try r.integer("capabilities", as: UInt32.self)
            guard caps == 0 else { throw r.fail("capabilities 0x\(String(caps, radix: 16)) sets reserved bits") }
            message = .hello(Hello(minVersion: minV, maxVersion: maxV, workerID: worker, envID: env, envSignature: signature, numEnvs: k, capabilities: caps))
        case .welcome:
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
            let kind = try r.integer("action_kind", as: UInt8.self)
            let size = Int(try r.integer("action_size", as: UInt32.self))
            let actionKind: Welcome.ActionKind
            switch kind {
            case 0:
                guard size >= 2, WireProtocol.sizes.contains(size) else { throw r.fail("discrete action count \(size) is outside 2–\(WireProtocol.sizes.upperBound)") }
                actionKind = .discrete(size)
            case 1:
                guard WireProtocol.sizes.contains(size) else { throw r.fail("action dimension \(size) is outside 1–\(WireProtocol.sizes.upperBound)") }
                actionKind = .continuous(size)
            default: throw r.fail("action_kind \(kind) is not 0 or 1")
            }
            let parameterCount = Int(try r.integer("parameter_count", as: UInt32.self))
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
            let welcome = Welcome(
                version: version, runID: run, envID: envID, policyVersion: policyVersion, seed: seed, maxUnackedBatches: maxUnacked,
                heartbeatIntervalMilliseconds: heartbeat, activation: activation, hiddenSizes: hidden,
                observationSize: obs, actionKind: actionKind, parameterCount: parameterCount,
                observationClip: observationClip, normalizeRewards: normalizeFlag == 1, gamma: gamma, rewardClip: rewardClip,
                envArguments: envArguments, envSignature: envSignature)
            guard parameterCount == welcome.impliedParameterCount else {
                throw WireError(.shapeMismatch, "welcome: parameter_count \(parameterCount), the architecture has \(welcome.impliedParameterCount)")
            }
            message = .welcome(welcome)
        case .weights:
            let version = try r.integer("policy_version", as: UInt64.self)
            let count = Int(try r.integer("parameter_count", as: UInt32.self))
            let parameters = try r.finiteFloats("parameters", count: count)
            let d = Int(try r.integer("normalizer_size", as: UInt32.self))
            var normalizer: RunningMeanStd?
            if d > 0 {
                let n = try r.double("normalizer_count")
                let mean = try r.finiteDoubles("mean", count: d)
                let variance = try r.finiteDoubles("variance", count: d)
                guard let stats = RunningMeanStd(mean: mean, variance: variance, count: n) else {
                    throw WireError(.invalidValue, "weights: normaliser count \(n) or a variance is out of range")
                }
                normalizer = stats
            }
            message = .weights(Weights(policyVersion: version, parameters: parameters, normalizer: normalizer))
        case .ready:
            message = .ready(policyVersion: try r.integer("policy_version", as: UInt64.self))
        case .grant:
            let id = try r.integer("grant_id", as: UInt32.self)
            let v = try r.integer("policy_version", as: UInt64.self)
            let steps = try r.integer("steps", as: UInt32.self)
            guard steps >= 1 else { throw r.fail("steps is 0") }
            message = .grant(Grant(grantID: id, policyVersion: v, steps: steps))
        case .batch:
            message = .batch(try decodeBatch(&r))
        case .ack:
            let id = try r.integer("grant_id", as: UInt32.self)
            let raw = try r.integer("status", as: UInt8.self)
            guard let status = Ack.Status(rawValue: raw) else { throw r.fail("status \(raw) is not 0 or 1") }
            message = .ack(Ack(grantID: id, status: status, transitions: try r.integer("transitions", as: UInt32.self)))
        case .heartbeat:
            message = .heartbeat(sentAtNanoseconds: try r.integer("sent_at_ns", as: UInt64.self))
        case .error:
            let code = try r.integer("code", as: UInt16.self)
            message = .error(code: code, message: try r.string("message", maxBytes: WireProtocol.maxMessageBytes))
        case .goodbye:
            let raw = try r.integer("reason", as: UInt8.self)
            guard let reason = Goodbye.Reason(rawValue: raw) else { throw r.fail("reason \(raw) is not 0, 1 or 2") }
            message = .goodbye(Goodbye(reason: reason, message: try r.string("message", maxBytes: WireProtocol.maxMessageBytes)))
        }
        try r.finish()
        return message
    }

    static func isIDByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2E || b == 0x5F || b == 0x2D
    }
}

extension Welcome {
    /// The number of parameters of the actor–critic this Welcome describes.
    public var impliedParameterCount: Int {
        func mlp(_ sizes: [Int]) -> Int {
            zip(sizes, sizes.dropFirst()).reduce(0) { $0 + $1.0 * $1.1 + $1.1 }
        }
        switch actionKind {
        case .discrete(let n):
            return mlp([observationSize] + hiddenSizes + [n]) + mlp([observationSize] + hiddenSizes + [1])
        case .continuous(let d):
            return mlp([observationSize] + hiddenSizes + [d]) + mlp([observationSize] + hiddenSizes + [1]) + d
        }
    }
}
