import Environments
import PPOCore

/// Why `benchEnvStep` could not run.
public enum EnvStepBenchError: Error, Sendable, CustomStringConvertible {
    case invalidStepCount(Int)

    public var description: String {
        switch self {
        case .invalidStepCount(let steps):
            "env step benchmark needs a positive number of steps per repetition, got \(steps)"
        }
    }
}

/// Times single-env stepping with random actions, resetting on terminated or truncated: the loop of Gymnasium's
/// micro-benchmark of Gymnasium (`gym.make`, so with the time limit).
///
/// Discrete actions are uniform indices, Box actions uniform within the bounds, drawn from an `RNG` derived from
/// `seed` (the draw is part of the timed loop, as `action_space.sample()` is in Gymnasium's). Five repetitions of
/// `steps` steps after a warm-up of `steps / 10`; the result is the per-step time in µs, with `steps_per_second`
/// (from the median) and `mean_episode_length` in `extra`.
public func benchEnvStep(id: String, steps: Int, seed: UInt64) throws -> BenchResult {
    guard steps > 0 else { throw EnvStepBenchError.invalidStepCount(steps) }
    var env = try EnvironmentRegistry.make(id: id, seed: seed)
    let spec = env.spec
    var actionRNG = RNG(seed: seed).split(1)
    var observation = [Float](repeating: 0, count: spec.observationSize)
    var action = [Float](repeating: 0, count: spec.actionSize)
    // Each component's number of choices (discrete kinds), or the Box's bounds.
    let choices = (0..<spec.actionSize).compactMap { spec.actionSpace.choices(at: $0) }
    var low = [Float](repeating: 0, count: spec.actionSize)
    var width = [Float](repeating: 0, count: spec.actionSize)
    if case .box(let boxLow, let boxHigh) = spec.actionSpace {
        for j in 0..<spec.actionSize {
            low[j] = boxLow[j]
            width[j] = boxHigh[j] - boxLow[j]
        }
    }
    let repetitions = 5
    let warmup = max(1, steps / 10)
    var episodes = 0
    var failure: EnvironmentError?

    let samples = observation.withUnsafeMutableBufferPointer { observation in
        action.withUnsafeMutableBufferPointer { action in
            env.reset(seed: seed, into: observation)
            let actionView = UnsafeBufferPointer(action)
            return measure(repetitions: repetitions, inner: steps, warmup: warmup) {
                if !choices.isEmpty {
                    for j in 0..<choices.count { action[j] = Float(actionRNG.integer(below: choices[j])) }
                } else {
                    for j in 0..<action.count { action[j] = low[j] + width[j] * actionRNG.uniformFloat() }
                }
                do throws(EnvironmentError) {
                    let result = try env.step(action: actionView, into: observation)
                    if result.terminated || result.truncated {
                        env.reset(seed: nil, into: observation)
                        episodes += 1
                    }
                } catch {
                    failure = error
                }
            }
        }
    }
    if let failure { throw failure }
    let result = BenchResult(
        name: "env_step_\(id)",
        description: "one \(id) step with a random action, reset when the episode ends (Gymnasium's bench_env)",
        samples: samples, callsPerRepetition: steps)
    var extra: [String: Double] = [:]
    extra["steps_per_second"] = 1e6 / result.medianMicroseconds
    let totalSteps = warmup + repetitions * steps
    extra["mean_episode_length"] = episodes > 0 ? Double(totalSteps) / Double(episodes) : Double(totalSteps)
    return BenchResult(
        name: result.name, description: result.description, samples: samples, callsPerRepetition: steps,
        extra: extra)
}
