import Environments
import Foundation
import PPOCore

/// A `Checkpoint` as safetensors bytes and back: the tensors under their PyTorch names, the metadata strings, and
/// every check a file read must pass before its values are used (format, each tensor's presence and shape, each
/// metadata value). The layout is `Checkpoint`'s documentation.
enum CheckpointCodec {
    /// The file's bytes.
    static func encode(_ c: Checkpoint) -> Data {
        var tensors: [String: SafeTensors.Tensor] = [:]
        for (i, p) in c.parameters.enumerated() {
            tensors[p.name] = .f32(p.values, shape: p.shape)
            tensors["optimizer.exp_avg.\(p.name)"] = .f32(c.adamFirst[i], shape: p.shape)
            tensors["optimizer.exp_avg_sq.\(p.name)"] = .f32(c.adamSecond[i], shape: p.shape)
        }
        if let n = c.normalizer {
            tensors["obs_normalizer.mean"] = .f64(n.mean, shape: [n.dimension])
            tensors["obs_normalizer.var"] = .f64(n.variance, shape: [n.dimension])
        }
        let configJSON = metadataJSON(c.config) ?? "{}"
        let spaceJSON = metadataJSON(c.actionSpace) ?? "{}"
        var metadata: [String: String] = [
            "format": Checkpoint.format, "env_id": c.envID, "config": configJSON, "observation_size": "\(c.observationSize)",
            "action_space": spaceJSON, "version": "\(c.version)", "updates": "\(c.updates)",
            "trained_transitions": "\(c.trainedTransitions)", "env_steps": "\(c.envSteps)", "adam_step": "\(c.adamStep)",
            "rng": c.rng.state.map(String.init).joined(separator: ","), "network": metadataJSON(c.network) ?? "{}",
        ]
        if let n = c.normalizer { metadata["obs_normalizer_count"] = "\(n.count)" }
        if !c.envArguments.isEmpty { metadata["env_args"] = c.envArguments }
        if !c.envSetup.isEmpty { metadata["env_setup"] = c.envSetup.text }
        if !c.recentReturns.values.isEmpty { metadata["recent_returns"] = c.recentReturns.values.map { "\($0)" }.joined(separator: ",") }
        if let evaluation = c.evaluation { metadata["evaluation"] = metadataJSON(evaluation) }
        return SafeTensors.encode(tensors, metadata: metadata)
    }

    /// A value as the JSON text the metadata holds (`config`, `action_space`, `evaluation`): keys sorted, so the
    /// same value is always the same text; also what an exported model's metadata repeats.
    static func metadataJSON<T: Encodable>(_ value: T) -> String? {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) }
    }

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

    /// The checkpoint a loaded file holds, once every value passed its check.
    static func decode(_ stored: CheckpointFile) throws(Checkpoint.CheckpointError) -> Checkpoint {
        guard stored.metadata["format"] == Checkpoint.format else {
            throw .content(stored.path, reason: "format is '\(stored.metadata["format"] ?? "missing")', expected \(Checkpoint.format)")
        }
        let config = try stored.config()
        let space = try stored.decodeJSON(Space.self, key: "action_space", what: "a valid space")
        let rngParts = try stored.value("rng").split(separator: ",").compactMap { UInt64($0) }
        guard let rng = RNG(state: rngParts) else { throw .content(stored.path, reason: "metadata 'rng' is not a generator state") }
        let observationSize = try stored.integer("observation_size")
        guard observationSize > 0, config.problems().isEmpty else {
            throw .content(stored.path, reason: "configuration is invalid: \(config.problems().joined(separator: "; "))")
        }

        // The architecture the file describes must match the stored tensors exactly.
        let network = try stored.network(observationSize: observationSize, actionSpace: space, config: config)
        let model = network.makeUninitializedNetwork()
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
            envID: try stored.value("env_id"), config: config, observationSize: observationSize, actionSpace: space, network: network,
            version: version, updates: try stored.integer("updates"), trainedTransitions: try stored.integer("trained_transitions"),
            envSteps: try stored.integer("env_steps"), parameters: parameters, adamStep: try stored.integer("adam_step"),
            adamFirst: first, adamSecond: second, normalizer: normalizer, rng: rng)
        checkpoint.envArguments = stored.metadata["env_args"] ?? ""
        try readOptionalMetadata(stored.metadata, path: stored.path, into: &checkpoint)
        return checkpoint
    }

    /// The metadata only some checkpoints have: the last training episodes' returns, a best policy's evaluation.
    private static func readOptionalMetadata(_ meta: [String: String], path: String, into c: inout Checkpoint) throws(Checkpoint.CheckpointError) {
        if let text = meta["recent_returns"] {
            let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { Double($0) }
            guard parts.allSatisfy({ $0 != nil }), let window = RecentReturns(saved: parts.compactMap { $0 }) else {
                throw .content(path, reason: "metadata 'recent_returns' is not a list of at most \(RecentReturns.window) finite numbers")
            }
            c.recentReturns = window
        }
        if let text = meta["evaluation"] {
            guard let point = try? JSONDecoder().decode(EvaluationPoint.self, from: Data(text.utf8)), point.mean.isFinite else {
                throw .content(path, reason: "metadata 'evaluation' is not an evaluation (update, env steps, episodes, mean, std, seconds)")
            }
            c.evaluation = point
        }
        if let text = meta["env_setup"] {
            do {
                c.envSetup = try EnvironmentSetup(text: text)
            } catch {
                throw .content(path, reason: "metadata 'env_setup' is not an environment setup: \(error)")
            }
        }
    }
}
