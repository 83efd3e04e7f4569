import Foundation
import NIOCore
import NIOEmbedded
import Environments
import PPOCore
import Testing
@testable import Wire

/// Messages used by the round-trip and golden-vector tests.
enum Samples {
    static let hello = Message.hello(Hello(workerID: "worker-1", envID: "CartPole-v1",
        envSignature: cartPoleSignature, numEnvs: 8))
    static let cartPoleSignature = EnvironmentSignature.hash(
        envID: "CartPole-v1", arguments: "",
        observationSpace: .box(low: [-4.8, -.infinity, -0.41887903, -.infinity], high: [4.8, .infinity, 0.41887903, .infinity]),
        actionSpace: .discrete(2), maxEpisodeSteps: 500)
    static let welcome = Message.welcome(Welcome(
        version: 5, runID: "run-42", envID: "CartPole-v1", policyVersion: 3, seed: 7, maxUnackedBatches: 4, heartbeatIntervalMilliseconds: 5000,
        activation: .tanh, hiddenSizes: [64, 64], observationSize: 4, head: .categorical(segments: [2]), parameterCount: 9155,
        observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10,
        envSignature: cartPoleSignature))
    /// A Welcome for a Gymnasium environment with `gymnasium.make` arguments.
    static let gymWelcome = Message.welcome(Welcome(
        version: 5, runID: "run-43", envID: "gym:my_package.envs:MyEnv-v0", policyVersion: 0, seed: 1, maxUnackedBatches: 4,
        heartbeatIntervalMilliseconds: 5000, activation: .tanh, hiddenSizes: [64, 64], observationSize: 4, head: .categorical(segments: [2]),
        parameterCount: 9155, observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10,
        envArguments: #"{"difficulty": 3, "mode": "hard"}"#, envSignature: 0x0123_4567_89AB_CDEF))
    /// A Welcome whose environment has a registration and two wrappers (the second with keyword arguments).
    static let setupWelcome = Message.welcome(Welcome(
        version: 5, runID: "run-45", envID: "gym:MiniGrid-DoorKey-5x5-v0", policyVersion: 0, seed: 1, maxUnackedBatches: 4,
        heartbeatIntervalMilliseconds: 5000, activation: .tanh, hiddenSizes: [64, 64], observationSize: 4, head: .categorical(segments: [2]),
        parameterCount: 9155, observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10,
        envSignature: 0x0123_4567_89AB_CDEF,
        envSetup: #"{"register":["minigrid:register_minigrid_envs"],"wrappers":[{"class":"minigrid.wrappers:ImgObsWrapper"},{"class":"gymnasium.wrappers:TimeLimit","kwargs":{"max_episode_steps":100}}]}"#))
    /// A Welcome whose actions are MultiDiscrete([3, 300]): two categoricals over 303 logits.
    static let multiDiscreteWelcome = Message.welcome(Welcome(
        version: 5, runID: "run-44", envID: "gym:my_package.envs:Choices-v0", policyVersion: 0, seed: 1, maxUnackedBatches: 4,
        heartbeatIntervalMilliseconds: 5000, activation: .relu, hiddenSizes: [32], observationSize: 4,
        head: .categorical(segments: [3, 300]), parameterCount: 4 * 32 + 32 + 32 * 303 + 303 + 4 * 32 + 32 + 32 + 1,
        observationClip: 10, normalizeRewards: false, gamma: 0.99, rewardClip: 10, envSignature: 0x0123_4567_89AB_CDEF))
    /// A Welcome of a convolutional network: the Nature CNN over a (4, 84, 84) frame stack after 2 other values.
    static let convolutionalWelcome: Message = {
        let image = ImageLayout(offset: 2, height: 84, width: 84, channels: 4, channelsFirst: true, scale: 1 / 255)
        let network = NetworkSpec(
            observationSize: 2 + 28_224, body: .convolutional(image: image, convolutions: NetworkSpec.natureConvolutions, hidden: 512),
            head: .categorical(segments: [6]))
        return .welcome(Welcome(
            version: 5, runID: "run-46", envID: "gym:ALE/Pong-v5", policyVersion: 0, seed: 1, maxUnackedBatches: 4,
            heartbeatIntervalMilliseconds: 5000, network: network, parameterCount: network.parameterCount, observationClip: 10,
            normalizeRewards: false, gamma: 0.99, rewardClip: 10, envSignature: 0x0123_4567_89AB_CDEF))
    }()
    static var weights: Message {
        var rng = RNG(seed: 1)
        let params = (0..<50).map { _ in Float(rng.normal()) }
        return .weights(Weights(policyVersion: 3, parameters: params,
                                normalizer: RunningMeanStd(mean: [0.5, -1, 2, 0], variance: [1, 2, 0.5, 4], count: 1000.0001)))
    }
    static let ready = Message.ready(policyVersion: 3)
    static let grant = Message.grant(Grant(grantID: 12, policyVersion: 3, steps: 32))
    static let ack = Message.ack(Ack(grantID: 12, status: .accepted, transitions: 256))
    static let heartbeat = Message.heartbeat(sentAtNanoseconds: 123_456_789)
    static let error = Message.error(code: WireError.Code.actionOutOfRange.rawValue, message: "action 7 at transition 3, the environment has 2 actions")
    static let goodbye = Message.goodbye(Goodbye(reason: .shuttingDown, message: "learner stopping"))

    /// A batch with every feature: terminations, truncations with their values, episodes.
    static func batch(k: Int = 2, t: Int = 4, space: Space = .discrete(2), seed: UInt64 = 5) -> BatchMessage {
        var rng = RNG(seed: seed)
        let actionSize = space.flatSize
        var b = TransitionBatch(policyVersion: 3, envCount: k, steps: t, observationSize: 4, actionSize: actionSize)
        // Filled step by step, env by env (the order the golden files were recorded in), each value at its place
        // in the batch's layout.
        let rows = (0..<t).flatMap { step in (0..<k).map { env in (env, step) } }
        for (env, step) in rows {
            for d in 0..<4 { b.observations[b.index(env: env, step: step, component: d)] = Float(rng.normal()) }
        }
        for (env, step) in rows {
            for d in 0..<actionSize {
                let i = b.index(env: env, step: step, component: d)
                if let choices = space.choices(at: d) {
                    b.actions[i] = Float(rng.integer(below: choices))
                } else {
                    b.actions[i] = Float(rng.normal() * 2)
                }
            }
        }
        for (env, step) in rows {
            let i = b.index(env: env, step: step)
            b.rewards[i] = 1
            b.values[i] = Float(rng.uniform(0, 20))
            b.logProbs[i] = -Float(rng.uniform(0, 2))
            let u = rng.uniformDouble()
            if u < 0.1 { b.terminated[i] = true } else if u < 0.2 { b.truncated[i] = true; b.truncationValues[i] = Float(rng.uniform(0, 20)) }
        }
        for i in 0..<k { b.bootstrapValues[i] = Float(i) + 0.5 }
        b.episodes = [EpisodeStatistics(episodeReturn: 21, length: 21), EpisodeStatistics(episodeReturn: 500, length: 500)]
        return BatchMessage(grantID: 12, actionEncoding: .init(for: space), batch: b)
    }

    /// A batch whose observation components 1 and 2 are an image's, whole numbers 0–255 that travel as bytes.
    static var imageBatch: BatchMessage {
        var message = batch()
        let n = message.batch.count
        for i in (1 * n)..<(3 * n) { message.batch.observations[i] = Float((i * 37) % 256) }
        return BatchMessage(grantID: message.grantID, actionEncoding: message.actionEncoding, batch: message.batch, bytesWherePossible: 1..<3)
    }

    static var all: [(String, Message)] {
        [("hello", hello), ("welcome", welcome), ("welcome-gym", gymWelcome), ("weights", weights), ("ready", ready), ("grant", grant),
         ("welcome-multidiscrete", multiDiscreteWelcome), ("welcome-setup", setupWelcome), ("welcome-convolutional", convolutionalWelcome),
         ("batch", .batch(batch())), ("batch-continuous", .batch(batch(space: .box(low: [-2, -2], high: [2, 2])))),
         ("batch-multidiscrete", .batch(batch(space: .multiDiscrete([3, 300])))),
         ("batch-multibinary", .batch(batch(space: .multiBinary(3)))), ("batch-image", .batch(imageBatch)),
         ("ack", ack), ("heartbeat", heartbeat), ("error", error), ("goodbye", goodbye)]
    }
}

@Suite("Wire codec")
struct WireCodecTests {
    static func roundTrip(_ m: Message, compression: Frame.CompressionPolicy = .default) throws -> Message? {
        var buffer = Frame.encode(m, compression: compression)
        let decoded = try Frame.decode(from: &buffer, limits: .default)
        #expect(buffer.readableBytes == 0)
        return decoded
    }

    @Test("every message round-trips, compressed and not", arguments: Samples.all.map(\.0))
    func roundTrip(name: String) throws {
        let message = try #require(Samples.all.first { $0.0 == name }?.1)
        #expect(try Self.roundTrip(message) == message)
        #expect(try Self.roundTrip(message, compression: .none) == message)
        #expect(try Self.roundTrip(message, compression: Frame.CompressionPolicy(level: 6, types: Set(MessageType.allCases))) == message)
    }

    @Test("random batches round-trip: discrete (u8, u16) and continuous, many shapes")
    func randomBatches() throws {
        var rng = RNG(seed: 99)
        for trial in 0..<40 {
            let k = 1 + rng.integer(below: 8), t = 1 + rng.integer(below: 40)
            let space: Space = [Space.discrete(2), .discrete(300), .box(low: [-1, -1, -1], high: [1, 1, 1])][trial % 3]
            let m = Samples.batch(k: k, t: t, space: space, seed: UInt64(trial))
            #expect(try Self.roundTrip(.batch(m)) == .batch(m))
            try m.validate(against: BatchExpectation(envCount: k, steps: t, observationSize: 4, actionSpace: space, policyVersion: 3))
        }
    }

    @Test("a batch's observation and value columns go on the wire as they lie in memory (no transpose)")
    func columnsAsInMemory() throws {
        let m = Samples.batch(k: 3, t: 5)
        var frame = Frame.encode(.batch(m), compression: .none)
        let bytes = frame.readBytes(length: frame.readableBytes) ?? []
        // After the frame header (20) and the batch header (4 + 8 + 2 + 4 + 2 + 1 + 2 + 4 + 4; no byte components).
        let observationsAt = 20 + 31
        let n = m.batch.observations.count
        var observations = [Float](repeating: 0, count: n)
        bytes[observationsAt...].withUnsafeBytes { src in
            observations.withUnsafeMutableBytes { Compression.unshuffle(src.baseAddress!, count: n, width: 4, into: $0.baseAddress!) }
        }
        #expect(observations == m.batch.observations)
        let rewardsAt = observationsAt + 4 * n + m.batch.count  // u8 actions
        var values = m.batch.values
        values.withUnsafeMutableBytes { out in
            // rewards, flags, then values
            bytes[(rewardsAt + 5 * m.batch.count)...].withUnsafeBytes { Compression.unshuffle($0.baseAddress!, count: m.batch.count, width: 4, into: out.baseAddress!) }
        }
        #expect(values == m.batch.values)
        // And env 1's step 2, component 3, is where the layout says.
        #expect(m.batch.index(env: 1, step: 2, component: 3) == (3 * 3 + 1) * 5 + 2)
    }

    @Test("frames arrive in pieces: the decoder waits, then delivers exactly the messages sent")
    func streaming() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(MessageDecoder()))
        var stream = ByteBuffer()
        for (_, m) in Samples.all { Frame.encode(m, into: &stream) }
        while stream.readableBytes > 0 {
            let n = min(7, stream.readableBytes)
            try channel.writeInbound(stream.readSlice(length: n) ?? ByteBuffer())
        }
        var received: [Message] = []
        while let m = try channel.readInbound(as: Message.self) { received.append(m) }
        #expect(received == Samples.all.map(\.1))
        _ = try channel.finish()
    }

    @Test("byte shuffle round-trips and groups bytes by plane")
    func shuffle() {
        let values: [Float] = [1, 2, 3]
        var planes = [UInt8](repeating: 0, count: 12)
        values.withUnsafeBytes { src in planes.withUnsafeMutableBytes { Compression.shuffle(src.baseAddress!, count: 3, width: 4, into: $0.baseAddress!) } }
        #expect(planes == [0, 0, 0, 0, 0, 0, 0x80, 0, 0x40, 0x3F, 0x40, 0x40])
        var back = [Float](repeating: 0, count: 3)
        planes.withUnsafeBytes { src in back.withUnsafeMutableBytes { Compression.unshuffle(src.baseAddress!, count: 3, width: 4, into: $0.baseAddress!) } }
        #expect(back == values)
    }

    @Test("the environment signature is FNV-1a of the canonical description: id, arguments, both spaces with bounds, time limit")
    func signature() {
        let box = Space.box(low: [-1, -.infinity], high: [1, .infinity])
        #expect(EnvironmentSignature.canonical(envID: "gym:X-v0", arguments: #"{"a": 1}"#, observationSpace: box, actionSpace: .discrete(2), maxEpisodeSteps: 50)
                == #"gym:X-v0|args={"a": 1}|obs=box:2:-1.0,-inf:1.0,inf|act=discrete:2|limit=50"#)
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (the published test value).
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in "a".utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        #expect(h == 0xaf63_dc4c_8601_ec8c)
        func signature(_ arguments: String = "", _ space: Space = box, _ limit: Int = 50) -> UInt64 {
            EnvironmentSignature.hash(envID: "gym:X-v0", arguments: arguments, observationSpace: space, actionSpace: .discrete(2), maxEpisodeSteps: limit)
        }
        // Every part counts: other arguments, other bounds, another time limit.
        #expect(Set([signature(), signature(#"{"a": 2}"#), signature("", .box(low: [-2, -.infinity], high: [1, .infinity])), signature("", box, 51)]).count == 4)
        // The spaces the bridge flattened follow; a flat env's text (and signature) is the one above.
        #expect(EnvironmentSignature.canonical(envID: "gym:X-v0", arguments: "", observationSpace: box, actionSpace: .discrete(2), maxEpisodeSteps: 50,
                                               flattenedFrom: ("Dict('a': Box(-1.0, 1.0, (1,), float32), 'b': Discrete(1))", nil))
                == "gym:X-v0|args=|obs=box:2:-1.0,-inf:1.0,inf|act=discrete:2|limit=50|obs_from=Dict('a': Box(-1.0, 1.0, (1,), float32), 'b': Discrete(1))")
        let flattened = EnvironmentSignature.hash(envID: "gym:X-v0", arguments: "", observationSpace: box, actionSpace: .discrete(2), maxEpisodeSteps: 50,
                                                  flattenedFrom: ("Tuple(Box(-1.0, 1.0, (1,), float32), Discrete(1))", nil))
        #expect(flattened != signature() && signature() == EnvironmentSignature.hash(
            envID: "gym:X-v0", arguments: "", observationSpace: box, actionSpace: .discrete(2), maxEpisodeSteps: 50, flattenedFrom: (nil, nil)))
    }

    @Test("a Welcome's env_setup is only for a gym: environment; the signature text ends with it")
    func welcomeSetup() throws {
        guard case .welcome(var w) = Samples.welcome else { return }
        w.envSetup = #"{"register":["m:f"],"wrappers":[]}"#
        var native = Frame.encode(.welcome(w))
        #expect { try Frame.decode(from: &native, limits: .default) } throws: { "\($0)".contains("env_setup given for CartPole-v1") }
        w.envID = "gym:CartPole-v1"
        var gym = Frame.encode(.welcome(w))
        #expect(try Frame.decode(from: &gym, limits: .default) == .welcome(w))
        #expect(EnvironmentSignature.canonical(envID: "gym:X-v0", arguments: "", setup: #"{"register":["m:f"],"wrappers":[]}"#,
                                               observationSpace: .discrete(3), actionSpace: .discrete(2), maxEpisodeSteps: 50)
                == #"gym:X-v0|args=|obs=discrete:3|act=discrete:2|limit=50|setup={"register":["m:f"],"wrappers":[]}"#)
    }

    @Test("a Welcome's parameter count must match its architecture")
    func welcomeParameterCount() throws {
        guard case .welcome(var w) = Samples.welcome else { return }
        #expect(w.impliedParameterCount == 9155)
        w.parameterCount = 9154
        var buffer = Frame.encode(.welcome(w))
        #expect { try Frame.decode(from: &buffer, limits: .default) } throws: { ($0 as? WireError)?.code == .shapeMismatch }
    }
}
