import Foundation
import Logging
import Environments
import PPOCore

/// Everything needed to resume training or to use the trained policy, stored as one safetensors file.
///
/// Tensors: each model parameter under its PyTorch name (`actor.0.weight`, …, `actor_logstd`), float32;
/// Adam's moments as `optimizer.exp_avg.<name>` and `optimizer.exp_avg_sq.<name>`; observation statistics as
/// `obs_normalizer.mean` / `obs_normalizer.var` (float64). Metadata (strings): `format`, `env_id`, `config`
/// (JSON), `observation_size`, `action_space` (JSON), `version`, `updates`, `trained_transitions`, `env_steps`,
/// `adam_step`, `obs_normalizer_count`, `rng`, `network` (the `NetworkSpec`, JSON; checkpoints from before it hold
/// the seed's MLPs the config describes), `recent_returns` (the returns of the last training episodes,
/// comma-separated, oldest first), `env_args` and `env_setup` (a `gym:` environment's arguments and setup).
public struct Checkpoint: Sendable {
    public static let format = "swift-ppo-checkpoint/1"

    public var envID: String
    /// `gymnasium.make` keyword arguments of a `gym:` environment, a JSON object ("" for none).
    public var envArguments: String = ""
    /// A `gym:` environment's registrations and wrappers (metadata `env_setup`; none in checkpoints from before it).
    public var envSetup = EnvironmentSetup.none
    public var config: PPOConfig
    public var observationSize: Int
    public var actionSpace: Space
    /// The network's architecture.
    public var network: NetworkSpec
    public var version: UInt64
    public var updates: Int
    public var trainedTransitions: Int
    public var envSteps: Int
    public var parameters: [(name: String, shape: [Int], values: [Float])]
    public var adamStep: Int
    public var adamFirst: [[Float]]
    public var adamSecond: [[Float]]
    public var normalizer: RunningMeanStd?
    /// How the saved policy preprocesses observations: its statistics, and the run's clip.
    public var preprocessing: ObservationPreprocessing {
        ObservationPreprocessing(normalizer: normalizer, clip: config.observationClip, network: network)
    }
    public var rng: RNG
    /// The last training episodes' returns when it was written: the progress line and `stop_at_return` go on from them.
    public var recentReturns = RecentReturns()
    /// The greedy evaluation this policy got, in a run's `best.safetensors` (metadata `evaluation`, JSON); nil in
    /// the run's checkpoint.
    public var evaluation: EvaluationPoint?

    /// Why a checkpoint could not be read or written.
    public enum CheckpointError: Error, CustomStringConvertible {
        case io(String, reason: String)
        case format(String, SafeTensors.FormatError)
        case content(String, reason: String)

        public var description: String {
            switch self {
            case .io(let path, let reason): "checkpoint \(path): \(reason)"
            case .format(let path, let e): "checkpoint \(path) is not a valid safetensors file: \(e)"
            case .content(let path, let reason): "checkpoint \(path) cannot be used: \(reason)"
            }
        }
    }

    /// The state of `trainer` now.
    public init(trainer: Trainer, envID: String, envArguments: String = "", envSetup: EnvironmentSetup = .none, envSteps: Int,
                recentReturns: RecentReturns = RecentReturns()) {
        self.recentReturns = recentReturns
        self.envID = envID
        self.envArguments = envArguments
        self.envSetup = envSetup
        config = trainer.config
        observationSize = trainer.network.observationSize
        actionSpace = trainer.actionSpace
        network = trainer.network
        version = trainer.version
        updates = trainer.updates
        trainedTransitions = trainer.trainedTransitions
        self.envSteps = envSteps
        parameters = trainer.model.parameters.map { ($0.name, $0.shape, $0.values) }
        adamStep = trainer.updater.optimizer.step
        let moments = trainer.model.parameters.indices.map { trainer.updater.optimizer.moments(of: $0) }
        adamFirst = moments.map(\.first)
        adamSecond = moments.map(\.second)
        normalizer = trainer.observationNormalizer
        rng = trainer.rng
    }

    /// A trainer in exactly this state (parameters, Adam, normaliser, counters, RNG) with the saved
    /// hyper-parameters; `learningRate` replaces the saved one (what a resumed run may change: `ResumeRules`).
    public func makeTrainer(learningRate: Double? = nil, threads: Int = 1) -> Trainer {
        var config = self.config
        if let learningRate { config.learningRate = learningRate }
        let trainer = Trainer(network: network, actionSpace: actionSpace, config: config, seed: 0, threads: threads, initialized: false)
        for (p, saved) in zip(trainer.model.parameters, parameters) { p.values = saved.values }
        trainer.updater.optimizer.restore(step: adamStep, first: adamFirst, second: adamSecond)
        trainer.restore(version: version, updates: updates, trainedTransitions: trainedTransitions, normalizer: normalizer, rng: rng)
        return trainer
    }

    /// Writes the checkpoint atomically (`CheckpointFile.write`): a crash at any point leaves either the previous
    /// checkpoint or the new one, never a torn file.
    public func write(to url: URL) throws(CheckpointError) {
        try CheckpointFile.write(CheckpointCodec.encode(self), to: url)
    }

    /// Reads the checkpoint file at `url`, or the one in the run folder `url` names (`--out`, `--checkpoint-dir`),
    /// and checks it (`CheckpointCodec.decode`).
    public static func read(from url: URL) throws(CheckpointError) -> Checkpoint {
        var isFolder: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? CheckpointPolicy.file(in: url) : url
        return try CheckpointCodec.decode(CheckpointFile.load(file))
    }

    /// A value as the JSON text the metadata holds (`CheckpointCodec.metadataJSON`).
    public static func metadataJSON<T: Encodable>(_ value: T) -> String? { CheckpointCodec.metadataJSON(value) }

    /// Removes what interrupted writes to `url` left behind (`CheckpointFile.removeAbandonedWrites`).
    @discardableResult
    public static func removeAbandonedWrites(of url: URL, logger: Logger) -> [String] {
        CheckpointFile.removeAbandonedWrites(of: url, logger: logger)
    }

    /// The environment the checkpoint was trained on, with its arguments.
    public var environment: EnvironmentSelection { EnvironmentSelection(id: envID, arguments: envArguments, setup: envSetup) }

    init(
        envID: String, config: PPOConfig, observationSize: Int, actionSpace: Space, network: NetworkSpec, version: UInt64, updates: Int,
        trainedTransitions: Int, envSteps: Int, parameters: [(name: String, shape: [Int], values: [Float])],
        adamStep: Int, adamFirst: [[Float]], adamSecond: [[Float]], normalizer: RunningMeanStd?, rng: RNG
    ) {
        self.envID = envID
        self.config = config
        self.observationSize = observationSize
        self.actionSpace = actionSpace
        self.network = network
        self.version = version
        self.updates = updates
        self.trainedTransitions = trainedTransitions
        self.envSteps = envSteps
        self.parameters = parameters
        self.adamStep = adamStep
        self.adamFirst = adamFirst
        self.adamSecond = adamSecond
        self.normalizer = normalizer
        self.rng = rng
    }
}

/// A coding key from a string (the checkpoint config's key strategy).
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
