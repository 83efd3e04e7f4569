import Foundation
import PPOCore
import Training

/// A trained policy as an ONNX model (opset 17, standard operators only) that runs anywhere onnxruntime does: the
/// observation normaliser inside the graph, the env and its arguments in the model's metadata.
public enum PolicyExport {
    /// Why a policy could not be exported. Nothing is written when it fails.
    public enum Failure: Error, CustomStringConvertible {
        case checkpoint(String)
        case output(AtomicFile.Failure)

        public var description: String {
            switch self {
            case .checkpoint(let reason): "cannot export this checkpoint: \(reason)"
            case .output(let failure): "cannot write the model to \(failure.path): \(failure.reason); nothing was written there"
            }
        }
    }

    /// The tag in the model's `format` metadata.
    public static let format = "swift-ppo-policy/1"

    /// The ONNX model of `checkpoint`'s policy. `clipActions` (continuous actions): `action` is the Gaussian mean
    /// clipped to the Box's bounds (what the env is stepped with), else the mean as it is (`mean` is always there).
    public static func model(of checkpoint: Checkpoint, clipActions: Bool = true) throws(Failure) -> ONNXModel {
        var model = try PolicyGraph(checkpoint: checkpoint, clipActions: clipActions).model
        model.metadata = metadata(of: checkpoint, clipActions: clipActions)
        model.docString = "PPO policy for \(checkpoint.envID) (policy version \(checkpoint.version), \(checkpoint.envSteps) env steps), exported by swift-ppo. Input: the env's raw observation; the observation normaliser is inside the graph."
        return model
    }

    /// Writes `checkpoint`'s policy to `url` atomically; the size of the file in bytes.
    @discardableResult
    public static func write(_ checkpoint: Checkpoint, to url: URL, clipActions: Bool = true) throws(Failure) -> Int {
        let bytes = try model(of: checkpoint, clipActions: clipActions).serialized(producerVersion: format)
        do {
            try AtomicFile.write(Data(bytes), to: url)
        } catch {
            throw .output(error)
        }
        return bytes.count
    }

    /// What a user of the model needs to know that the graph does not say: the env, how it was made, what the
    /// outputs mean.
    static func metadata(of checkpoint: Checkpoint, clipActions: Bool) -> [String: String] {
        let config = Checkpoint.metadataJSON(checkpoint.config) ?? "{}"
        let actionSpace = Checkpoint.metadataJSON(checkpoint.actionSpace) ?? "{}"
        let normalizer = checkpoint.normalizer.map { _ in
            "inside the graph: clip((observation - mean) / sqrt(var + 1e-8), -\(checkpoint.config.observationClip), \(checkpoint.config.observationClip)), in float64"
        } ?? "none: training did not normalise observations"
        let env = checkpoint.environment
        let action: String
        switch checkpoint.actionSpace {
        case .discrete: action = "int64 [batch]: the most probable action (argmax of logits)"
        case .multiDiscrete(let nvec):
            action = "int64 [batch, \(nvec.count)]: the most probable choice of each component (argmax of its segment of the logits, segments \(nvec))"
        case .multiBinary(let n): action = "int64 [batch, \(n)]: each bit 1 where its logit is positive"
        case .box: action = clipActions
            ? "float32 [batch, D]: the Gaussian mean clipped to the action space's bounds"
            : "float32 [batch, D]: the Gaussian mean, not clipped (the env clips)"
        }
        var metadata = [
            "format": format,
            "env_id": env.id,
            "env_args": checkpoint.envArguments.isEmpty ? "{}" : checkpoint.envArguments,
            "env_make": env.isGym ? "gymnasium.make(env_id without 'gym:', **env_args), after calling each register function, then each wrapper applied in order" : "gymnasium.make(env_id): the native env follows Gymnasium's exactly",
            "register": env.setup.registrationsJSON,
            "wrappers": env.setup.wrappersJSON,
            "observation": "float32 [batch, \(checkpoint.observationSize)]: the env's raw observation (float64 observations cast to float32)",
            "observation_normalizer": normalizer,
            "action_space": actionSpace,
            "action": action,
            "value": checkpoint.config.normalizeRewards
                ? "float32 [batch]: V(s) in the units training saw, rewards divided by the running std of the discounted return (normalize_rewards)"
                : "float32 [batch]: V(s), in the env's reward units",
            "policy_version": "\(checkpoint.version)",
            "updates": "\(checkpoint.updates)",
            "env_steps": "\(checkpoint.envSteps)",
            "config": config,
        ]
        // A run's best policy (ppo export --best) says how it evaluated.
        if let e = checkpoint.evaluation { metadata["evaluation"] = Checkpoint.metadataJSON(e) }
        return metadata
    }
}
