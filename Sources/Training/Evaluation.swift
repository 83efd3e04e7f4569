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

    /// Runs `episodes` episodes of `checkpoint`'s policy, the env seeded from `seed`; `record`, if given, sees
    /// every step's raw observation, the action taken and V(s).
    /// `frames`, for a `gym:` env: its Gymnasium renderer's frames of the first `frames.episodes` episodes.
    public static func run(
        checkpoint: Checkpoint, episodes: Int, seed: UInt64, bridge: BridgeOptions = .default,
        record: ((EvaluationStep) throws -> Void)? = nil, frames: FrameSink? = nil
    ) throws -> EvaluationResult {
        let trainer = checkpoint.makeTrainer()
        let selection = checkpoint.environment
        guard selection.isGym else {
            return try run(model: trainer.model, preprocessing: checkpoint.preprocessing, envID: checkpoint.envID,
                           episodes: episodes, seed: seed, record: record)
        }
        return try runGym(model: trainer.model, preprocessing: checkpoint.preprocessing, selection: selection,
                          episodes: episodes, seed: seed, bridge: frames == nil ? bridge : bridge.rendering(), record: record, frames: frames)
    }

    /// Where the frames of an evaluation's first `episodes` episodes go (`ppo eval --video` of a `gym:` env).
    public struct FrameSink {
        public let episodes: Int
        public let add: (_ episode: Int, _ frame: RGBFrame) throws -> Void

        public init(episodes: Int, add: @escaping (_ episode: Int, _ frame: RGBFrame) throws -> Void) {
            self.episodes = episodes
            self.add = add
        }
    }

    /// The deterministic action and V(s) for one raw observation, as both loops below take them.
    static func decide(
        _ observation: [Float], model: any PolicyNetwork, preprocessing: ObservationPreprocessing, rng: inout RNG, action: inout [Float]
    ) -> Float {
        var normalized = observation
        var logProb: Float = 0
        var value: Float = 0
        normalized.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            preprocessing.apply(base, rows: 1)
            model.act(observations: base, count: 1, deterministic: true, rng: &rng,
                      actions: &action, logProbs: &logProb, values: &value)
        }
        return value
    }

    /// Runs `episodes` episodes of `model` on a Gymnasium environment through one bridge env, reset with a seed of
    /// its own before each episode.
    public static func runGym(
        model: any PolicyNetwork, preprocessing: ObservationPreprocessing, selection: EnvironmentSelection,
        episodes: Int, seed: UInt64, bridge: BridgeOptions, record: ((EvaluationStep) throws -> Void)? = nil, frames: FrameSink? = nil
    ) throws -> EvaluationResult {
        var env = try EnvironmentCatalog.makeVector(selection, count: 1, seed: RNG(seed: seed).split(2).seed, bridge: bridge)
        return try run(model: model, preprocessing: preprocessing, env: &env, envID: selection.id,
                       episodes: episodes, seed: seed, fresh: true, record: record, frames: frames)
    }

    /// Runs `episodes` episodes of `model` on `env` (one env), reset with a seed of its own before each episode: an
    /// env kept from one evaluation to the next gives the same episodes as a new one (`fresh`: made with the first
    /// episode's seed, so not reset before it).
    public static func run(
        model: any PolicyNetwork, preprocessing: ObservationPreprocessing, env: inout any VectorEnvironment,
        envID: String, episodes: Int, seed: UInt64, fresh: Bool, record: ((EvaluationStep) throws -> Void)? = nil,
        frames: FrameSink? = nil
    ) throws -> EvaluationResult {
        if let problem = model.spec.problem(readingImages: env.spec.images) {
            throw EnvironmentError.invalidSelection(id: envID, reason: "the policy's \(problem)")
        }
        var rng = RNG(seed: seed).split(1)
        var returns: [Double] = []
        var lengths: [Int] = []
        var action = [Float](repeating: 0, count: env.actionSize)
        for episode in 0..<episodes {
            if episode > 0 || !fresh { try env.reset(seeding: RNG(seed: seed).split(UInt64(episode) + 2).seed) }
            var step = 0
            while true {
                let observation = env.observations
                if let frames, episode < frames.episodes, let frame = try env.renderFrame() { try frames.add(episode, frame) }
                let value = decide(observation, model: model, preprocessing: preprocessing, rng: &rng, action: &action)
                try record?(EvaluationStep(episode: episode, step: step, observation: observation, action: action, value: value))
                step += 1
                try action.withUnsafeBufferPointer { try env.step(actions: $0) }
                if let finished = env.finishedEpisodes.first {
                    returns.append(finished.episodeReturn)
                    lengths.append(finished.length)
                    break
                }
            }
        }
        return summarize(envID: envID, returns: returns, lengths: lengths)
    }

    /// Runs `episodes` episodes of `model`.
    public static func run(
        model: any PolicyNetwork, preprocessing: ObservationPreprocessing, envID: String, episodes: Int, seed: UInt64,
        record: ((EvaluationStep) throws -> Void)? = nil
    ) throws -> EvaluationResult {
        var env = try EnvironmentRegistry.make(id: envID, seed: seed)
        if let problem = model.spec.problem(readingImages: env.spec.images) {
            throw EnvironmentError.invalidSelection(id: envID, reason: "the policy's \(problem)")
        }
        var rng = RNG(seed: seed).split(1)
        var returns: [Double] = []
        var lengths: [Int] = []
        var action = [Float](repeating: 0, count: env.spec.actionSize)
        for episode in 0..<episodes {
            var observation = env.reset(seed: RNG(seed: seed).split(UInt64(episode) + 2).seed)
            var total = 0.0
            var length = 0
            while true {
                let value = decide(observation, model: model, preprocessing: preprocessing, rng: &rng, action: &action)
                try record?(EvaluationStep(episode: episode, step: length, observation: observation, action: action, value: value))
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

/// One step of a deterministic evaluation: the env's raw observation (before normalisation), the action the policy
/// took (the most probable one, or the Gaussian mean before the env clips it) and V(s).
public struct EvaluationStep: Sendable, Codable {
    public var episode: Int
    public var step: Int
    public var observation: [Float]
    public var action: [Float]
    public var value: Float
}

/// `ppo eval --record FILE`: every step of an evaluation as JSON lines (one `EvaluationStep` object a line), kept
/// in memory and written atomically at the end, so an exported model can be checked against the trained policy
/// on the same observations.
public struct EvaluationRecording {
    private var lines = Data()
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()
    public private(set) var count = 0

    public init() {}

    public mutating func append(_ step: EvaluationStep) throws {
        lines.append(try encoder.encode(step))
        lines.append(0x0A)
        count += 1
    }

    public func write(to url: URL) throws(AtomicFile.Failure) {
        try AtomicFile.write(lines, to: url)
    }
}
