import Foundation
import PPOCore
import Training

/// Builds the ONNX graph of a checkpoint's policy: the observation normaliser, the actor and critic MLPs (or the
/// convolutional network, `PolicyGraph+Convolutional.swift`) and the head, from the checkpoint's tensors and configuration, with standard opset-17 operators only.
///
/// Inputs and outputs (`B` is the batch, any size):
/// - `observation`: float32 `[B, obs]`, the env's raw observation (float64 envs cast to float32, as the bridge does);
/// - `action`: int64 `[B]` (argmax of the logits) for a Discrete action space; float32 `[B, D]` (the Gaussian mean,
///   clipped to the Box's bounds unless `clipActions` is false) for a Box;
/// - `value`: float32 `[B]`, V(s) in the units training saw (rewards divided by the running return std when
///   reward scaling was on);
/// - `logits` `[B, n]` (Discrete), or `mean` `[B, D]` and `log_std` `[1, D]` (Box): the distribution, to sample.
///
/// The normaliser runs in float64, as training's does (`RunningMeanStd.normalize`): (x − mean) · 1/√(var + 1e-8),
/// clipped to ±observation_clip, then float32; so the network sees the same float32 inputs as in `ppo eval`.
struct PolicyGraph {
    let checkpoint: Checkpoint
    let clipActions: Bool
    /// (Set by this file's and `PolicyGraph+Convolutional.swift`'s builders only.)
    var model: ONNXModel

    init(checkpoint: Checkpoint, clipActions: Bool) throws(PolicyExport.Failure) {
        self.checkpoint = checkpoint
        self.clipActions = clipActions
        model = ONNXModel(graphName: "swift_ppo_policy")
        let batch = ONNXModel.Dimension.named("batch")
        model.inputs = [.init(name: "observation", type: .float, shape: [batch, .fixed(checkpoint.observationSize)])]
        let features = addNormalizer(input: "observation")
        let top: String, critic: String
        if case .convolutional(let image, let convolutions, _) = checkpoint.network.body {
            (top, critic) = try addConvolutional(image: image, convolutions: convolutions, raw: "observation", features: features)
        } else {
            top = try addMLP("actor", input: features)
            critic = try addMLP("critic", input: features)
        }
        model.initializers.append(.int64s("value_axes", [1], dims: [1]))
        model.nodes.append(.init(op: "Squeeze", inputs: [critic, "value_axes"], outputs: ["value"]))
        try addHead(top, batch: batch)
        model.outputs.insert(.init(name: "value", type: .float, shape: [batch]), at: 1)
    }

    /// The normaliser's nodes (none when training did not normalise); the name of the float32 features.
    private mutating func addNormalizer(input: String) -> String {
        guard let normalizer = checkpoint.normalizer else { return input }
        let clip = checkpoint.config.observationClip
        let inverseStd = normalizer.variance.map { 1 / ($0 + 1e-8).squareRoot() }
        let d = normalizer.dimension
        model.initializers += [
            .doubles("obs_normalizer.mean", normalizer.mean, dims: [d]),
            .doubles("obs_normalizer.inverse_std", inverseStd, dims: [d]),
            .doubles("obs_normalizer.clip_low", [-clip], dims: []),
            .doubles("obs_normalizer.clip_high", [clip], dims: []),
        ]
        model.nodes += [
            .init(op: "Cast", inputs: [input], outputs: ["observation_f64"], attributes: [("to", ONNXModel.ElementType.double.rawValue)]),
            .init(op: "Sub", inputs: ["observation_f64", "obs_normalizer.mean"], outputs: ["observation_centred"]),
            .init(op: "Mul", inputs: ["observation_centred", "obs_normalizer.inverse_std"], outputs: ["observation_scaled"]),
            .init(op: "Clip", inputs: ["observation_scaled", "obs_normalizer.clip_low", "obs_normalizer.clip_high"], outputs: ["observation_clipped"]),
            .init(op: "Cast", inputs: ["observation_clipped"], outputs: ["features"], attributes: [("to", ONNXModel.ElementType.float.rawValue)]),
        ]
        return "features"
    }

    /// `prefix`.0, `prefix`.2, … as Gemm (y = x·Wᵀ + b, PyTorch's layout) with the activation between layers;
    /// the name of the last layer's output.
    private mutating func addMLP(_ prefix: String, input: String) throws(PolicyExport.Failure) -> String {
        // The layers of `MLP`: Linear layers at the even indices of PyTorch's nn.Sequential, activations between.
        guard case .separate(let hidden, let kind) = checkpoint.network.body else {
            throw .checkpoint("its network has no MLPs named \(prefix)")
        }
        let layerCount = hidden.count + 1
        let activation = kind == .tanh ? "Tanh" : "Relu"
        var x = input
        for i in 0..<layerCount {
            let layer = "\(prefix).\(2 * i)"
            let out = try addLinear(layer, input: x)
            x = out
            if i < layerCount - 1 {
                model.nodes.append(.init(op: activation, inputs: [out], outputs: ["\(layer).act"]))
                x = "\(layer).act"
            }
        }
        return x
    }

    /// The action and the distribution's outputs for the checkpoint's action space.
    private mutating func addHead(_ top: String, batch: ONNXModel.Dimension) throws(PolicyExport.Failure) {
        switch checkpoint.actionSpace {
        case .discrete(let n):
            model.nodes += [
                .init(op: "Identity", inputs: [top], outputs: ["logits"]),
                .init(op: "ArgMax", inputs: [top], outputs: ["action"], attributes: [("axis", 1), ("keepdims", 0)]),
            ]
            model.outputs = [.init(name: "action", type: .int64, shape: [batch]),
                             .init(name: "logits", type: .float, shape: [batch, .fixed(n)])]
        case .multiDiscrete(let nvec):
            addSegmentArgMax(top, segments: nvec, batch: batch)
        case .multiBinary(let n):
            // A bit is 1 where its logit is positive: the more probable value of its Bernoulli.
            model.initializers.append(.floats("zero", [0], dims: [1]))
            model.nodes += [
                .init(op: "Identity", inputs: [top], outputs: ["logits"]),
                .init(op: "Greater", inputs: [top, "zero"], outputs: ["positive"]),
                .init(op: "Cast", inputs: ["positive"], outputs: ["action"], attributes: [("to", ONNXModel.ElementType.int64.rawValue)]),
            ]
            model.outputs = [.init(name: "action", type: .int64, shape: [batch, .fixed(n)]),
                             .init(name: "logits", type: .float, shape: [batch, .fixed(n)])]
        case .box(let low, let high):
            try addGaussian(top, low: low, high: high, batch: batch)
        }
    }

    /// MultiDiscrete: the logits split into one segment per component, the argmax of each, side by side.
    private mutating func addSegmentArgMax(_ top: String, segments: [Int], batch: ONNXModel.Dimension) {
        model.initializers.append(.int64s("segment_sizes", segments.map(Int64.init), dims: [segments.count]))
        let pieces = segments.indices.map { "logits_\($0)" }
        let choices = segments.indices.map { "action_\($0)" }
        model.nodes.append(.init(op: "Identity", inputs: [top], outputs: ["logits"]))
        model.nodes.append(.init(op: "Split", inputs: [top, "segment_sizes"], outputs: pieces, attributes: [("axis", 1)]))
        for (piece, choice) in zip(pieces, choices) {
            model.nodes.append(.init(op: "ArgMax", inputs: [piece], outputs: [choice], attributes: [("axis", 1), ("keepdims", 1)]))
        }
        model.nodes.append(.init(op: "Concat", inputs: choices, outputs: ["action"], attributes: [("axis", 1)]))
        model.outputs = [.init(name: "action", type: .int64, shape: [batch, .fixed(segments.count)]),
                         .init(name: "logits", type: .float, shape: [batch, .fixed(segments.reduce(0, +))])]
    }

    /// Box: the Gaussian's mean (clipped to the bounds when asked) and its log-std.
    private mutating func addGaussian(_ top: String, low: [Float], high: [Float], batch: ONNXModel.Dimension) throws(PolicyExport.Failure) {
        let d = low.count
        let logStd = try tensor("actor_logstd")
        model.initializers.append(.floats(logStd.name, logStd.values, dims: logStd.shape))
        model.nodes += [
            .init(op: "Identity", inputs: [top], outputs: ["mean"]),
            .init(op: "Identity", inputs: ["actor_logstd"], outputs: ["log_std"]),
        ]
        if clipActions {
            model.initializers += [.floats("action_low", low, dims: [d]), .floats("action_high", high, dims: [d])]
            model.nodes += [
                .init(op: "Max", inputs: [top, "action_low"], outputs: ["mean_above_low"]),
                .init(op: "Min", inputs: ["mean_above_low", "action_high"], outputs: ["action"]),
            ]
        } else {
            model.nodes.append(.init(op: "Identity", inputs: [top], outputs: ["action"]))
        }
        model.outputs = [.init(name: "action", type: .float, shape: [batch, .fixed(d)]),
                         .init(name: "mean", type: .float, shape: [batch, .fixed(d)]),
                         .init(name: "log_std", type: .float, shape: [.fixed(1), .fixed(d)])]
    }

    /// The checkpoint's tensor `name` (`Checkpoint.read` has checked every one against the architecture).
    func tensor(_ name: String) throws(PolicyExport.Failure) -> (name: String, shape: [Int], values: [Float]) {
        guard let t = checkpoint.parameters.first(where: { $0.name == name }) else {
            throw .checkpoint("the checkpoint has no tensor '\(name)', which its network needs")
        }
        return t
    }
}
