import Foundation
import Testing
@testable import PPOCore
import TestSupport

/// One PPO minibatch step of CleanRL's Atari loss, and a second on the same batch, through the shared-trunk
/// `ConvolutionalActorCritic` against PyTorch's float32 numbers (`ppo_cnn_update_case.json`: three convolutions
/// over a 2×44×44 image, Categorical 3; `ppo_dict_multidiscrete_case.json`: one convolution over a 10×10×4 board
/// and a vector key, MultiDiscrete [3, 2]): per-sample outputs, losses, every gradient, the clipped gradients, the
/// Adam moments and the parameters after each step.
@Suite("Convolutional PPO update vs PyTorch reference", .offThePool)
struct ConvolutionalUpdateReferenceTests {
    /// The case's model with its initial parameters, and the Adam it steps with.
    static func model(_ reference: [String: Any]) throws -> (ConvolutionalActorCritic, Adam) {
        let network = try #require(reference["network"] as? [String: Any])
        let config = try #require(reference["config"] as? [String: Any])
        let (_, channels, height, width) = ConvolutionTests.images(reference, scaled: false)
        let specs = try #require(network["conv_specs"] as? [[Int]]).map {
            ConvolutionalActorCritic.Convolution(outChannels: $0[0], kernel: $0[1], stride: $0[2])
        }
        let model = ConvolutionalActorCritic(
            channels: channels, height: height, width: width, convolutions: specs,
            vectorSize: network["vector_dim"] as? Int ?? 0, hidden: try #require(network["hidden"] as? Int),
            head: .categorical(segments: try #require(network["nvec"] as? [Int])),
            inputScale: Float(try #require(network["input_scale"] as? Double)))
        let initial = try #require(reference["initial_params"] as? [String: Any])
        let order = try #require(reference["parameter_order"] as? [String])
        #expect(model.parameters.map(\.name) == order, "parameter names and order match PyTorch's state_dict")
        for p in model.parameters { p.values = flatFloats(initial[p.name]) }
        let betas = flatDoubles(config["adam_betas"])
        let adam = Adam(parameters: model.parameters, learningRate: try #require(config["learning_rate"] as? Double),
                        beta1: betas[0], beta2: betas[1], eps: try #require(config["adam_eps"] as? Double))
        return (model, adam)
    }

    /// A reference case's batch and settings.
    struct Case {
        let file: String
        let images: [Float]
        let vectors: [Float]
        let actions: [Float]
        let oldLogProbs: [Float]
        let advantages: [Float]
        let returns: [Float]
        let oldValues: [Float]
        let coefficients: PPOLoss.Coefficients
        let maxGradNorm: Double
        let count = 8

        init(_ file: String, _ reference: [String: Any]) throws {
            self.file = file
            let config = try #require(reference["config"] as? [String: Any])
            let clip = Float(try #require(config["clip_coef"] as? Double))
            coefficients = PPOLoss.Coefficients(
                clip: clip, valueClip: config["clip_vloss"] as? Bool == true ? clip : nil,
                value: Float(try #require(config["vf_coef"] as? Double)), entropy: Float(try #require(config["ent_coef"] as? Double)))
            maxGradNorm = try #require(config["max_grad_norm"] as? Double)
            let batch = try #require(reference["batch"] as? [String: Any])
            images = ConvolutionTests.images(reference, scaled: false).values
            vectors = flatFloats(batch["vector"])
            actions = flatFloats(batch["actions"])
            oldLogProbs = flatFloats(batch["old_log_probs"])
            advantages = flatFloats(batch["advantages"])
            returns = flatFloats(batch["returns"])
            oldValues = flatFloats(batch["old_values"])
        }
    }

    @Test("step 1 matches expected_float32 stage by stage; step 2 on the same batch, as ConvolutionalActorCritic.minibatchStep takes it, too",
          arguments: ["ppo_cnn_update_case.json", "ppo_dict_multidiscrete_case.json"])
    func twoSteps(file: String) throws {
        let reference = try Reference.load(file)
        let (model, adam) = try Self.model(reference)
        let c = try Case(file, reference)
        let expected = try #require(reference["expected_float32"] as? [String: Any])
        try Self.stepByStage(model: model, adam: adam, c, expected: try #require(expected["step1"] as? [String: Any]))

        let e = try #require(expected["step2_same_batch"] as? [String: Any])
        var advantages = c.advantages
        Statistics.standardize(&advantages, count: c.count)
        let batch = Minibatch(observations: c.images, actions: c.actions, oldLogProbs: c.oldLogProbs, advantages: advantages,
                              returns: c.returns, oldValues: c.oldValues)
        let stats = model.minibatchStep(batch, vectors: c.vectors, coefficients: c.coefficients, maxGradNorm: c.maxGradNorm,
                                        adam: adam, scratch: .init())
        for (value, key) in [(stats.policyLoss, "pg_loss"), (stats.valueLoss, "v_loss"), (stats.entropy, "entropy_loss"), (stats.totalLoss, "loss")] {
            expectClose([value], [try #require(e[key] as? Double)], "\(file) step 2 \(key)")
        }
        let clipped = try #require(e["grads_after_clip"] as? [String: Any])
        let after = try #require(e["params_after"] as? [String: Any])
        for p in model.parameters {
            expectClose(p.gradients, flatDoubles(clipped[p.name]), "\(file) step 2 clipped \(p.name)")
            expectClose(p.values, flatDoubles(after[p.name]), "\(file) step 2 \(p.name) after")
        }
    }

    /// One step done stage by stage, each stage's figures against the reference's `e`.
    static func stepByStage(model: ConvolutionalActorCritic, adam: Adam, _ c: Case, expected e: [String: Any]) throws {
        let (file, count) = (c.file, c.count)
        let perSample = try #require(e["per_sample"] as? [String: Any])
        for p in model.parameters { p.zeroGrad() }
        let (outputs, values) = c.images.withUnsafeBufferPointer { image in
            c.vectors.withUnsafeBufferPointer { model.forward(images: image.baseAddress!, vectors: $0.baseAddress, batch: count) }
        }
        let width = model.head.outputSize
        expectClose(Array(UnsafeBufferPointer(start: outputs, count: count * width)), flatDoubles(perSample["logits"]), "\(file) logits")
        expectClose(Array(UnsafeBufferPointer(start: values, count: count)), flatDoubles(perSample["new_values"]), "\(file) values")

        var logProb = [Float](repeating: 0, count: count), entropy = [Float](repeating: 0, count: count)
        let scratch = PolicyHead.Scratch()
        model.head.evaluate(outputs: outputs, actions: c.actions, count: count, logStd: nil, logProb: &logProb, entropy: &entropy, scratch: scratch)
        expectClose(logProb, flatDoubles(perSample["new_log_probs"]), "\(file) new_log_probs")
        expectClose(entropy, flatDoubles(perSample["entropy"]), "\(file) entropy")

        var advantages = c.advantages
        Statistics.standardize(&advantages, count: count)
        expectClose(advantages, flatDoubles(perSample["mb_advantages"]), "\(file) mb_advantages")
        var dLogProb = [Float](repeating: 0, count: count), dEntropy = dLogProb, dValue = dLogProb
        let stats = PPOLoss.compute(
            newLogProb: logProb, entropy: entropy, newValue: values, oldLogProb: c.oldLogProbs, advantages: advantages,
            returns: c.returns, oldValues: c.oldValues, count: count, coefficients: c.coefficients,
            dNewLogProb: &dLogProb, dEntropy: &dEntropy, dNewValue: &dValue)
        for (value, key) in [(stats.policyLoss, "pg_loss"), (stats.valueLoss, "v_loss"), (stats.entropy, "entropy_loss"),
                             (stats.totalLoss, "loss"), (stats.approxKL, "approx_kl"), (stats.clipFraction, "clipfrac")] {
            expectClose([value], [try #require(e[key] as? Double)], "\(file) \(key)")
        }
        var dOutputs = [Float](repeating: 0, count: count * width)
        model.head.backward(outputs: outputs, actions: c.actions, count: count, logStd: nil, dLogProb: dLogProb, dEntropy: dEntropy,
                            scratch: scratch, dOutputs: &dOutputs)
        model.backward(dOutputs: dOutputs, dValues: dValue)
        try expectGradientsAndStep(model: model, adam: adam, maxGradNorm: c.maxGradNorm, expected: e, what: file)
    }

    /// The gradients, their norm, the clipped gradients, then one Adam step: the parameters and the moments after it.
    static func expectGradientsAndStep(
        model: ConvolutionalActorCritic, adam: Adam, maxGradNorm: Double, expected e: [String: Any], what: String
    ) throws {
        let grads = try #require(e["grads"] as? [String: Any])
        for p in model.parameters { expectClose(p.gradients, flatDoubles(grads[p.name]), "\(what) grad \(p.name)") }
        let norm = clipGradNorm(model.parameters, maxNorm: maxGradNorm)
        expectClose([norm], [try #require(e["grad_global_norm"] as? Double)], "\(what) grad norm")
        let clipped = try #require(e["grads_after_clip"] as? [String: Any])
        for p in model.parameters { expectClose(p.gradients, flatDoubles(clipped[p.name]), "\(what) clipped \(p.name)") }
        adam.update()
        let after = try #require(e["params_after"] as? [String: Any])
        for p in model.parameters { expectClose(p.values, flatDoubles(after[p.name]), "\(what) \(p.name) after") }
        guard let state = e["adam_state_after"] as? [String: Any] else { return }
        for (index, p) in model.parameters.enumerated() {
            let moments = try #require(state[p.name] as? [String: Any])
            let (first, second) = adam.moments(of: index)
            expectClose(first, flatDoubles(moments["exp_avg"]), "\(what) exp_avg \(p.name)")
            expectClose(second, flatDoubles(moments["exp_avg_sq"]), "\(what) exp_avg_sq \(p.name)")
        }
    }
}
