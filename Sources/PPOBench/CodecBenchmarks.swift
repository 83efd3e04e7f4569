import Environments
import NIOCore
import PPOCore
import Training
import Wire

/// The wire codec on a realistic batch: 2048 CartPole-v1 transitions (8 envs × 256 steps) collected by an
/// untrained policy, encoded as a Batch frame (byte shuffle + zlib level 1) and decoded back (CRC, inflate,
/// parse, validate).
public enum CodecBenchmarks {
    /// Raw size of one CartPole transition: 4 f32 observation + 1 f32 action + f32 reward + 1 flag byte +
    /// f32 value + f32 log-prob.
    public static let rawCartPoleTransitionBytes = 33

    public static func cartPoleBatch() throws -> BatchMessage {
        let env = try VectorEnv(id: "CartPole-v1", count: 8, seed: 1)
        var rng = RNG(seed: 2)
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: .default, rng: &rng)
        let batch = try RolloutCollector(env: env).collect(steps: 256, policy: model, preprocessing: .none, version: 1, rng: &rng)
        return BatchMessage(grantID: 1, actionEncoding: .init(for: .discrete(2)), batch: batch)
    }

    public static func encode(repetitions: Int = 30) throws -> BenchResult {
        let message = Message.batch(try cartPoleBatch())
        var buffer = ByteBuffer()
        Frame.encode(message, into: &buffer)
        let wireBytes = buffer.readableBytes
        let samples = measure(repetitions: repetitions, inner: 20, warmup: 5) {
            buffer.clear()
            Frame.encode(message, into: &buffer)
        }
        return result("codec-encode", "encode + shuffle + zlib-1 a Batch frame of 2048 CartPole-v1 transitions", samples, wireBytes: wireBytes)
    }

    public static func decode(repetitions: Int = 30) throws -> BenchResult {
        let message = try cartPoleBatch()
        let frame = Frame.encode(.batch(message))
        let expectation = BatchExpectation(envCount: 8, steps: 256, observationSize: 4, actionSpace: .discrete(2), policyVersion: 1)
        var failures = 0
        let samples = measure(repetitions: repetitions, inner: 20, warmup: 5) {
            var copy = frame
            do {
                guard case .batch(let b)? = try Frame.decode(from: &copy, limits: .default) else { failures += 1; return }
                try b.validate(against: expectation)
            } catch {
                failures += 1
            }
        }
        precondition(failures == 0, "the benchmark's own frame failed to decode")
        return result("codec-decode", "CRC + inflate + parse + validate the same frame", samples, wireBytes: frame.readableBytes)
    }

    static func result(_ name: String, _ description: String, _ samples: [Double], wireBytes: Int) -> BenchResult {
        var r = BenchResult(name: name, description: description, samples: samples, callsPerRepetition: 20)
        r.extra = [
            "transitions_per_second": 2048 / (r.medianMicroseconds * 1e-6),
            "megabytes_per_second_raw": Double(2048 * rawCartPoleTransitionBytes) / r.medianMicroseconds,
            "wire_bytes_per_transition": Double(wireBytes) / 2048,
            "raw_bytes_per_transition": Double(rawCartPoleTransitionBytes),
        ]
        return r
    }
}

/// A worker's collection alone: 8 CartPole-v1 envs × 256 steps with the 4-64-64 policy (batched inference,
/// sampling, stepping, recording, V(s_T)).
public enum CollectBenchmarks {
    public static func collect(repetitions: Int = 30) throws -> BenchResult {
        let env = try VectorEnv(id: "CartPole-v1", count: 8, seed: 1)
        var rng = RNG(seed: 2)
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: .default, rng: &rng)
        let collector = RolloutCollector(env: env)
        var failures = 0
        let samples = measure(repetitions: repetitions, inner: 5, warmup: 2) {
            do { _ = try collector.collect(steps: 256, policy: model, preprocessing: .none, version: 0, rng: &rng) } catch { failures += 1 }
        }
        precondition(failures == 0, "CartPole refused the policy's actions")
        var r = BenchResult(name: "collect", description: "collect 2048 CartPole-v1 transitions: 8 envs × 256 steps, batched 4-64-64 policy", samples: samples, callsPerRepetition: 5)
        r.extra = ["transitions_per_second": 2048 / (r.medianMicroseconds * 1e-6)]
        return r
    }
}
