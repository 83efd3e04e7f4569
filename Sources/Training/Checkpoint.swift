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
/// `adam_step`, `obs_normalizer_count`, `rng`, `recent_returns` (the returns of the last training episodes,
/// comma-separated, oldest first).
public struct Checkpoint: Sendable {
    public static let format = "swift-ppo-checkpoint/1"

    public var envID: String
    /// `gymnasium.make` keyword arguments of a `gym:` environment, a JSON object ("" for none).
    public var envArguments: String = ""
    public var config: PPOConfig
    public var observationSize: Int
    public var actionSpace: Space
    public var version: UInt64
    public var updates: Int
    public var trainedTransitions: Int
    public var envSteps: Int
    public var parameters: [(name: String, shape: [Int], values: [Float])]
    public var adamStep: Int
    public var adamFirst: [[Float]]
    public var adamSecond: [[Float]]
    public var normalizer: RunningMeanStd?
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
    public init(trainer: Trainer, envID: String, envArguments: String = "", envSteps: Int, recentReturns: RecentReturns = RecentReturns()) {
        self.recentReturns = recentReturns
        self.envID = envID
        self.envArguments = envArguments
        config = trainer.config
        observationSize = trainer.model.observationSize
        actionSpace = trainer.model.actionSpace
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
        let trainer = Trainer(observationSize: observationSize, actionSpace: actionSpace, config: config, seed: 0, threads: threads)
        for (p, saved) in zip(trainer.model.parameters, parameters) { p.values = saved.values }
        trainer.updater.optimizer.restore(step: adamStep, first: adamFirst, second: adamSecond)
        trainer.restore(version: version, updates: updates, trainedTransitions: trainedTransitions, normalizer: normalizer, rng: rng)
        return trainer
    }

    /// Writes the checkpoint atomically: a temporary file in the same folder, fsync, rename, fsync of the folder.
    /// A crash at any point leaves either the previous checkpoint or the new one, never a torn file.
    public func write(to url: URL) throws(CheckpointError) {
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (i, p) in parameters.enumerated() {
            tensors[p.name] = .f32(p.values, shape: p.shape)
            tensors["optimizer.exp_avg.\(p.name)"] = .f32(adamFirst[i], shape: p.shape)
            tensors["optimizer.exp_avg_sq.\(p.name)"] = .f32(adamSecond[i], shape: p.shape)
        }
        if let n = normalizer {
            tensors["obs_normalizer.mean"] = .f64(n.mean, shape: [n.dimension])
            tensors["obs_normalizer.var"] = .f64(n.variance, shape: [n.dimension])
        }
        let configJSON = Self.metadataJSON(config) ?? "{}"
        let spaceJSON = Self.metadataJSON(actionSpace) ?? "{}"
        var metadata: [String: String] = [
            "format": Self.format, "env_id": envID, "config": configJSON, "observation_size": "\(observationSize)",
            "action_space": spaceJSON, "version": "\(version)", "updates": "\(updates)",
            "trained_transitions": "\(trainedTransitions)", "env_steps": "\(envSteps)", "adam_step": "\(adamStep)",
            "rng": rng.state.map(String.init).joined(separator: ","),
        ]
        if let n = normalizer { metadata["obs_normalizer_count"] = "\(n.count)" }
        if !envArguments.isEmpty { metadata["env_args"] = envArguments }
        if !recentReturns.values.isEmpty { metadata["recent_returns"] = recentReturns.values.map { "\($0)" }.joined(separator: ",") }
        if let evaluation { metadata["evaluation"] = Self.metadataJSON(evaluation) }
        let data = SafeTensors.encode(tensors, metadata: metadata)
        try Self.atomicWrite(data, to: url)
    }

    /// A value as the JSON text the metadata holds (`config`, `action_space`, `evaluation`): keys sorted, so the
    /// same value is always the same text; also what an exported model's metadata repeats.
    public static func metadataJSON<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The temporary files of writes to `url` are named this, then the writing process's id.
    static func temporaryPrefix(for url: URL) -> String { AtomicFile.temporaryPrefix(for: url) }

    /// Removes what writes to `url` by processes that no longer run left behind (a crash between creating the
    /// temporary file and renaming it), and logs each one. Returns the names removed; the checkpoint itself is
    /// never touched.
    @discardableResult
    public static func removeAbandonedWrites(of url: URL, logger: Logger) -> [String] {
        let dir = url.deletingLastPathComponent()
        let prefix = temporaryPrefix(for: url)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)) else { continue }
            // Still running (another process writing into the same folder): leave it.
            if pid == getpid() || kill(pid, 0) == 0 || errno != ESRCH { continue }
            if unlink(dir.appendingPathComponent(name).path) == 0 {
                removed.append(name)
                logger.warning("removed \(name), a checkpoint write a previous run did not finish; \(url.lastPathComponent) is the last complete one")
            }
        }
        return removed
    }

    static func atomicWrite(_ data: Data, to url: URL) throws(CheckpointError) {
        do {
            try AtomicFile.write(data, to: url)
        } catch {
            throw .io(error.path, reason: error.reason + "; the previous checkpoint is untouched")
        }
    }

    /// Reads and checks a checkpoint: format, every tensor's presence and shape, metadata values.
    /// Reads the config as written (snake_case keys, the presets' names) and as checkpoints written before the
    /// keys were the presets' wrote it (camelCase): every key is read in its snake_case form.
    static let configDecoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            let key = path.last?.stringValue ?? ""
            var snake = ""
            var previousUpper = false
            for c in key {
                if c.isUppercase, !snake.isEmpty, !previousUpper { snake += "_" }  // targetKL → target_kl
                previousUpper = c.isUppercase
                snake += c.lowercased()
            }
            return AnyCodingKey(snake)
        }
        return decoder
    }()

    /// Reads the checkpoint file at `url`, or the one in the run folder `url` names (`--out`, `--checkpoint-dir`).
    public static func read(from url: URL) throws(CheckpointError) -> Checkpoint {
        var isFolder: ObjCBool = false
        let file = FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) && isFolder.boolValue
            ? CheckpointPolicy.file(in: url) : url
        let stored = try CheckpointFile.load(file)
        guard stored.metadata["format"] == Self.format else {
            throw .content(stored.path, reason: "format is '\(stored.metadata["format"] ?? "missing")', expected \(Self.format)")
        }
        let config = try stored.config()
        let space = try stored.decodeJSON(Space.self, key: "action_space", what: "a valid space")
        let rngParts = try stored.value("rng").split(separator: ",").compactMap { UInt64($0) }
        guard let rng = RNG(state: rngParts) else { throw .content(stored.path, reason: "metadata 'rng' is not a generator state") }
        let observationSize = try stored.integer("observation_size")
        guard observationSize > 0, config.problems().isEmpty else {
            throw .content(stored.path, reason: "configuration is invalid: \(config.problems().joined(separator: "; "))")
        }

        // The architecture the config describes must match the stored tensors exactly.
        var scratchRNG = RNG(seed: 0)
        let model = ActorCritic(observationSize: observationSize, actionSpace: space, config: config, rng: &scratchRNG)
        var parameters: [(name: String, shape: [Int], values: [Float])] = []
        var first: [[Float]] = []
        var second: [[Float]] = []
        for p in model.parameters {
            parameters.append((p.name, p.shape, try stored.floats(p.name, shape: p.shape)))
            first.append(try stored.floats("optimizer.exp_avg.\(p.name)", shape: p.shape))
            second.append(try stored.floats("optimizer.exp_avg_sq.\(p.name)", shape: p.shape))
        }
        let normalizer = config.normalizeObservations ? try stored.normalizer(dimension: observationSize) : nil
        guard let version = UInt64(try stored.value("version")) else {
            throw .content(stored.path, reason: "metadata 'version' is not a whole number")
        }
        var checkpoint = Checkpoint(
            envID: try stored.value("env_id"), config: config, observationSize: observationSize, actionSpace: space,
            version: version, updates: try stored.integer("updates"), trainedTransitions: try stored.integer("trained_transitions"),
            envSteps: try stored.integer("env_steps"), parameters: parameters, adamStep: try stored.integer("adam_step"),
            adamFirst: first, adamSecond: second, normalizer: normalizer, rng: rng)
        checkpoint.envArguments = stored.metadata["env_args"] ?? ""
        try checkpoint.readOptionalMetadata(stored.metadata, path: stored.path)
        return checkpoint
    }

    /// The metadata only some checkpoints have: the last training episodes' returns, a best policy's evaluation.
    private mutating func readOptionalMetadata(_ meta: [String: String], path: String) throws(CheckpointError) {
        if let text = meta["recent_returns"] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard parts.allSatisfy({ $0 != nil }), let window = RecentReturns(saved: parts.compactMap { $0 }) else {
                throw .content(path, reason: "metadata 'recent_returns' is not a list of at most \(RecentReturns.window) finite numbers")
            }
            recentReturns = window
        }
        if let text = meta["evaluation"] {
            guard let point = try? JSONDecoder().decode(EvaluationPoint.self, from: Data(text.utf8)), point.mean.isFinite else {
                throw .content(path, reason: "metadata 'evaluation' is not an evaluation (update, env steps, episodes, mean, std, seconds)")
            }
            evaluation = point
        }
    }

    /// The environment the checkpoint was trained on, with its arguments.
    public var environment: EnvironmentSelection { EnvironmentSelection(id: envID, arguments: envArguments) }

    init(
        envID: String, config: PPOConfig, observationSize: Int, actionSpace: Space, version: UInt64, updates: Int,
        trainedTransitions: Int, envSteps: Int, parameters: [(name: String, shape: [Int], values: [Float])],
        adamStep: Int, adamFirst: [[Float]], adamSecond: [[Float]], normalizer: RunningMeanStd?, rng: RNG
    ) {
        self.envID = envID
        self.config = config
        self.observationSize = observationSize
        self.actionSpace = actionSpace
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
