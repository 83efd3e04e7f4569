import Environments
import Foundation
import GymBridge
import PPOCore

/// Deterministic evaluation of a trained policy: the mode of the categorical / the Gaussian mean, observations
/// normalised with the checkpoint's statistics, full episodes (terminated or truncated).
public struct EvaluationResult: Sendable, Codable, Equatable {
    public var envID: String
    public var episodes: Int
    public var returns: [Double]
    public var lengths: [Int]
    /// Mean and (population) standard deviation of the returns.
    public var mean: Double
    public var std: Double

    /// Runs `episodes` episodes of `checkpoint`'s policy, the env seeded from `seed`.
    public static func run(checkpoint: Checkpoint, episodes: Int, seed: UInt64, bridge: BridgeOptions = .default) throws -> EvaluationResult {
        let trainer = checkpoint.makeTrainer()
        let selection = checkpoint.environment
        guard selection.isGym else {
            return try run(model: trainer.model, normalizer: trainer.observationNormalizer,
                           observationClip: checkpoint.config.observationClip, envID: checkpoint.envID,
                           episodes: episodes, seed: seed)
        }
        return try runGym(model: trainer.model, normalizer: trainer.observationNormalizer,
                          observationClip: checkpoint.config.observationClip, selection: selection,
                          episodes: episodes, seed: seed, bridge: bridge)
    }

    /// Runs `episodes` episodes of `model` on a Gymnasium environment through one bridge env, reset with a seed of
    /// its own before each episode.
    public static func runGym(
        model: ActorCritic, normalizer: RunningMeanStd?, observationClip: Double, selection: EnvironmentSelection,
        episodes: Int, seed: UInt64, bridge: BridgeOptions
    ) throws -> EvaluationResult {
        var env = try EnvironmentCatalog.makeVector(selection, count: 1, seed: RNG(seed: seed).split(2).seed, bridge: bridge)
        var rng = RNG(seed: seed).split(1)
        var returns: [Double] = []
        var lengths: [Int] = []
        var normalized = [Float](repeating: 0, count: env.observationSize)
        var action = [Float](repeating: 0, count: env.actionSize)
        var logProb: Float = 0
        var value: Float = 0
        for episode in 0..<episodes {
            if episode > 0 { try env.reset(seeding: RNG(seed: seed).split(UInt64(episode) + 2).seed) }
            while true {
                normalized = env.observations
                normalized.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    normalizer?.normalize(base, rows: 1, clip: observationClip)
                    model.act(observations: base, count: 1, deterministic: true, rng: &rng,
                              actions: &action, logProbs: &logProb, values: &value)
                }
                try action.withUnsafeBufferPointer { try env.step(actions: $0) }
                if let finished = env.finishedEpisodes.first {
                    returns.append(finished.episodeReturn)
                    lengths.append(finished.length)
                    break
                }
            }
        }
        return summarize(envID: selection.id, returns: returns, lengths: lengths)
    }

    /// Runs `episodes` episodes of `model`.
    public static func run(
        model: ActorCritic, normalizer: RunningMeanStd?, observationClip: Double, envID: String, episodes: Int, seed: UInt64
    ) throws -> EvaluationResult {
        var env = try EnvironmentRegistry.make(id: envID, seed: seed)
        var rng = RNG(seed: seed).split(1)
        var returns: [Double] = []
        var lengths: [Int] = []
        var observation = [Float](repeating: 0, count: env.spec.observationSize)
        var normalized = observation
        var action = [Float](repeating: 0, count: env.spec.actionSize)
        var logProb: Float = 0
        var value: Float = 0
        for episode in 0..<episodes {
            observation = env.reset(seed: RNG(seed: seed).split(UInt64(episode) + 2).seed)
            var total = 0.0
            var length = 0
            while true {
                normalized = observation
                normalized.withUnsafeMutableBufferPointer { buffer in
                    guard let base = buffer.baseAddress else { return }
                    normalizer?.normalize(base, rows: 1, clip: observationClip)
                    model.act(observations: base, count: 1, deterministic: true, rng: &rng,
                              actions: &action, logProbs: &logProb, values: &value)
                }
                let step = try env.step(action)
                observation = step.observation
                total += step.reward
                length += 1
                if step.terminated || step.truncated { break }
            }
            returns.append(total)
            lengths.append(length)
        }
        return summarize(envID: envID, returns: returns, lengths: lengths)
    }

    static func summarize(envID: String, returns: [Double], lengths: [Int]) -> EvaluationResult {
        let mean = returns.reduce(0, +) / Double(max(returns.count, 1))
        let variance = returns.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(returns.count, 1))
        return EvaluationResult(envID: envID, episodes: returns.count, returns: returns, lengths: lengths, mean: mean, std: variance.squareRoot())
    }
}
