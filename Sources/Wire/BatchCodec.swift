import NIOCore
import PPOCore

/// What a Batch must look like for the connection it arrives on: the run's spaces, the worker's K and the
/// grant's version and T.
public struct BatchExpectation: Sendable, Equatable {
    public var envCount: Int
    public var steps: Int
    public var observationSize: Int
    public var actionSpace: Space
    public var policyVersion: UInt64

    public init(envCount: Int, steps: Int, observationSize: Int, actionSpace: Space, policyVersion: UInt64) {
        self.envCount = envCount
        self.steps = steps
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        self.policyVersion = policyVersion
    }
}

extension BatchMessage {
    /// The most steps per env a worker accepts in one Grant (PROTOCOL.md §6): the largest T for which a Batch of
    /// `envs × T` transitions is sure to fit in `limits` after decompression, with every step the end of an
    /// episode (the worst case: a truncation value and an episode record per transition).
    public static func maxSteps(envs: Int, observationSize: Int, head: PolicyHead, limits: WireLimits = .default) -> Int {
        let encoding = ActionEncoding(for: head)
        let actionBytes = encoding.bytes * head.actionSize
        // observation, action, reward, flags, value, log-prob, truncation value, episode (f64 + u32)
        let perTransition = 4 * observationSize + actionBytes + 4 + 1 + 4 + 4 + 4 + 12
        let fixed = 64 + 4 * envs
        return max(0, (limits.maxDecodedBytes - fixed) / max(1, envs * perTransition))
    }

    /// Checks the batch against its grant and the run (§3.2, §5.2): sizes, action encoding and range.
    /// Decoding has already checked that every float is finite and the flags are well formed.
    public func validate(against e: BatchExpectation) throws(WireError) {
        let b = batch
        guard b.policyVersion == e.policyVersion else {
            throw WireError(.invalidVersion, "batch for policy version \(b.policyVersion), its grant was for \(e.policyVersion)")
        }
        guard b.envCount == e.envCount else {
            throw WireError(b.envCount > e.envCount ? .grantExceeded : .shapeMismatch, "batch from \(b.envCount) envs, the worker announced \(e.envCount)")
        }
        guard b.steps == e.steps else {
            throw WireError(b.steps > e.steps ? .grantExceeded : .shapeMismatch, "batch of \(b.steps) steps per env, the grant was for \(e.steps)")
        }
        guard b.observationSize == e.observationSize else {
            throw WireError(.shapeMismatch, "observations of \(b.observationSize) floats, the environment's are \(e.observationSize)")
        }
        let space = e.actionSpace
        guard b.actionSize == space.flatSize, (actionEncoding == .float32) == !space.isDiscrete else {
            throw WireError(.shapeMismatch, "actions of \(b.actionSize) values (\(actionEncoding)) for the action space \(space)")
        }
        guard space.isDiscrete else { return }
        // Component-major (§5.2): component c of every transition, then component c + 1.
        let n = b.count
        for c in 0..<b.actionSize {
            guard let choices = space.choices(at: c) else { continue }
            if let bad = (c * n..<(c + 1) * n).first(where: { Int(b.actions[$0]) >= choices }) {
                let i = bad - c * n
                throw WireError(.actionOutOfRange, "action component \(c) = \(Int(b.actions[bad])) of env \(i / b.steps), step \(i % b.steps), the environment has \(choices) choices there")
            }
        }
    }
}

extension BatchMessage: PayloadCodable {
    func encode(into w: inout PayloadWriter) {
        let b = batch
        let n = b.count
        w.integer(grantID)
        w.integer(b.policyVersion)
        w.integer(UInt16(clamping: b.envCount))
        w.integer(UInt32(clamping: b.steps))
        w.integer(UInt16(clamping: b.observationSize))
        w.integer(actionEncoding.rawValue)
        w.integer(UInt16(clamping: b.actionSize))
        w.integer(UInt32(clamping: byteComponents.lowerBound))
        w.integer(UInt32(clamping: byteComponents.count))
        // The batch is laid out as the wire carries it: every column is written as it is, the byte components' block
        // (component-major, so one contiguous run) as bytes.
        let start = byteComponents.lowerBound * n, end = byteComponents.upperBound * n
        w.floats(Array(b.observations[0..<start]))
        w.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: end - start) { out in
            for i in start..<end { out[i - start] = UInt8(clamping: Int(b.observations[i])) }
            return end - start
        }
        w.floats(Array(b.observations[end...]))
        let indices = b.actions.count
        switch actionEncoding {
        case .uint8Index:
            w.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: indices) { out in
                for i in 0..<indices { out[i] = UInt8(clamping: Int(b.actions[i])) }
                return indices
            }
        case .uint16Index:
            for i in 0..<indices { w.integer(UInt16(clamping: Int(b.actions[i]))) }
        case .float32:
            w.floats(b.actions)
        }
        w.floats(b.rewards)
        w.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { out in
            for i in 0..<n { out[i] = (b.terminated[i] ? 1 : 0) | (b.truncated[i] ? 2 : 0) }
            return n
        }
        w.floats(b.values)
        w.floats(b.logProbs)
        w.floats(b.truncationValues.indices.filter { b.truncated[$0] }.map { b.truncationValues[$0] })
        w.floats(b.bootstrapValues)
        w.integer(UInt32(clamping: b.episodes.count))
        for e in b.episodes {
            w.double(e.episodeReturn)
            w.integer(UInt32(clamping: e.length))
        }
    }

    static func decode(from r: inout PayloadReader) throws(WireError) -> BatchMessage {
        let grant = try r.integer("grant_id", as: UInt32.self)
        let version = try r.integer("policy_version", as: UInt64.self)
        let (k, t, o, encoding, a, n) = try decodeShape(&r)
        var batch = TransitionBatch(policyVersion: version, envCount: 0, steps: 0, observationSize: o, actionSize: a)
        batch.envCount = k
        batch.steps = t
        let bytes = try decodeByteComponents(&r, observationSize: o)
        let (obsCount, obsOverflow) = n.multipliedReportingOverflow(by: o)
        guard !obsOverflow else { throw r.fail("observation column size overflows") }
        let needed = 4 * (obsCount - bytes.count * n) + bytes.count * n
        guard needed <= r.buffer.readableBytes else { throw r.fail("observations need \(needed) bytes, \(r.buffer.readableBytes) left") }
        let before = try r.finiteColumn("observations", envs: k, steps: t, width: bytes.lowerBound)
        let block = try r.bytes("observation bytes", count: bytes.count * n)
        let after = try r.finiteColumn("observations", envs: k, steps: t, width: o - bytes.upperBound)
        batch.observations = before + block.map { Float($0) } + after
        batch.actions = try decodeActions(&r, encoding: encoding, k: k, t: t, a: a)
        batch.rewards = try r.finiteColumn("rewards", envs: k, steps: t, width: 1)
        (batch.terminated, batch.truncated) = try decodeFlags(&r, k: k, t: t)
        batch.values = try r.finiteColumn("values", envs: k, steps: t, width: 1)
        batch.logProbs = try r.finiteColumn("log_probs", envs: k, steps: t, width: 1)
        let truncationValues = try r.finiteFloats("truncation_values", count: batch.truncated.count { $0 })
        var expanded = [Float](repeating: 0, count: n)
        var next = 0
        for i in 0..<n where batch.truncated[i] {
            expanded[i] = truncationValues[next]
            next += 1
        }
        batch.truncationValues = expanded
        batch.bootstrapValues = try r.finiteFloats("bootstrap_values", count: k)
        batch.episodes = try decodeEpisodes(&r, transitions: n)
        return BatchMessage(grantID: grant, actionEncoding: encoding, batch: batch, byteComponents: bytes)
    }

    /// byte_start and byte_count: a run of observation components inside the observation (none when the count is 0).
    private static func decodeByteComponents(_ r: inout PayloadReader, observationSize o: Int) throws(WireError) -> Range<Int> {
        let start = Int(try r.integer("byte_start", as: UInt32.self))
        let count = Int(try r.integer("byte_count", as: UInt32.self))
        guard count > 0 else {
            guard start == 0 else { throw r.fail("byte_start \(start) with byte_count 0") }
            return 0..<0
        }
        guard start < o, count <= o - start else {
            throw r.fail("byte components \(start)..<\(start + count) are outside the observation's \(o)")
        }
        return start..<(start + count)
    }

    /// num_envs … action_size, checked, and K·T bounded by the bytes left (every column has at least one byte per
    /// transition) before anything is allocated.
    private static func decodeShape(_ r: inout PayloadReader) throws(WireError)
        -> (k: Int, t: Int, o: Int, encoding: ActionEncoding, a: Int, n: Int) {
        let k = Int(try r.integer("num_envs", as: UInt16.self))
        let t = Int(try r.integer("steps", as: UInt32.self))
        let o = Int(try r.integer("observation_size", as: UInt16.self))
        let rawEncoding = try r.integer("action_encoding", as: UInt8.self)
        guard let encoding = ActionEncoding(rawValue: rawEncoding) else {
            throw r.fail("action_encoding \(rawEncoding) is not 1, 2 or 3")
        }
        let a = Int(try r.integer("action_size", as: UInt16.self))
        guard k >= 1, t >= 1, o >= 1, a >= 1 else { throw r.fail("num_envs, steps, observation_size and action_size must be positive") }
        let (n, overflow) = t.multipliedReportingOverflow(by: k)
        guard !overflow, n <= r.buffer.readableBytes else {
            throw r.fail("\(t) steps × \(k) envs cannot fit in \(r.buffer.readableBytes) bytes")
        }
        return (k, t, o, encoding, a, n)
    }

    /// The actions column (A components per transition, component-major), as floats.
    private static func decodeActions(_ r: inout PayloadReader, encoding: ActionEncoding, k: Int, t: Int, a: Int) throws(WireError) -> [Float] {
        let (count, overflow) = (k * t).multipliedReportingOverflow(by: a)
        guard !overflow, count <= r.buffer.readableBytes / encoding.bytes else {
            throw r.fail("actions need \(k * t) × \(a) values of \(encoding.bytes) bytes, \(r.buffer.readableBytes) bytes left")
        }
        switch encoding {
        case .uint8Index:
            let wire = try r.bytes("actions", count: count)
            return wire.map { Float($0) }
        case .uint16Index:
            var actions = [Float](repeating: 0, count: count)
            for i in 0..<count { actions[i] = Float(try r.integer("actions", as: UInt16.self)) }
            return actions
        case .float32:
            return try r.finiteColumn("actions", envs: k, steps: t, width: a)
        }
    }

    /// The flags column: terminated (bit 0) or truncated (bit 1), never both, no other bit.
    private static func decodeFlags(_ r: inout PayloadReader, k: Int, t: Int) throws(WireError) -> (terminated: [Bool], truncated: [Bool]) {
        let n = k * t
        let flags = try r.bytes("flags", count: n)
        var terminated = [Bool](repeating: false, count: n)
        var truncated = [Bool](repeating: false, count: n)
        for i in 0..<n {
            let f = flags[i]
            guard f & ~3 == 0, f != 3 else {
                throw WireError(.invalidValue, "batch: flags of env \(i / t), step \(i % t) = \(f): only bit 0 (terminated) or bit 1 (truncated) may be set")
            }
            terminated[i] = f & 1 != 0
            truncated[i] = f & 2 != 0
        }
        return (terminated, truncated)
    }

    /// episode_count and the episodes: at most one per transition, each with a finite return and a length.
    private static func decodeEpisodes(_ r: inout PayloadReader, transitions n: Int) throws(WireError) -> [EpisodeStatistics] {
        let episodeCount = Int(try r.integer("episode_count", as: UInt32.self))
        guard episodeCount <= n, episodeCount <= r.buffer.readableBytes / 12 else {
            throw r.fail("episode_count \(episodeCount) is more than the batch's transitions or the bytes left")
        }
        var episodes: [EpisodeStatistics] = []
        episodes.reserveCapacity(episodeCount)
        for i in 0..<episodeCount {
            let ret = try r.double("episode return")
            let length = try r.integer("episode length", as: UInt32.self)
            guard ret.isFinite, length >= 1 else {
                throw WireError(.invalidValue, "batch: episode \(i) has return \(ret) and length \(length)")
            }
            episodes.append(EpisodeStatistics(episodeReturn: ret, length: Int(length)))
        }
        return episodes
    }
}
