import Foundation
import Testing
@testable import PPOCore
import TestSupport

/// One PPO minibatch step of the seed's ActorCritic(4, 2) against PyTorch's float32 numbers
/// (`ppo_update_case.json`): losses, per-sample values, every gradient, the norm, clipped gradients, Adam state and
/// parameters, for two consecutive steps on the same batch.
@Suite("PPO update vs PyTorch reference", .offThePool)
struct PPOUpdateReferenceTests {
    struct Case {
        let json: [String: Any]
        let order: [String]
        let model: ActorCritic
        let updater: PPOUpdater
        let batch: Minibatch
        var states: [Float] { batch.observations }
    }

    static func makeCase() throws -> Case {
        let json = try Reference.load("ppo_update_case.json")
        let order = try #require(json["parameter_order"] as? [String])
        let config = try #require(json["config"] as? [String: Any])
        var ppo = PPOConfig.seed
        ppo.clipCoef = try #require(config["clip_eps"] as? Double)
        ppo.valueCoef = try #require(config["value_coef"] as? Double)
        ppo.entropyCoef = try #require(config["entropy_coef"] as? Double)
        ppo.maxGradNorm = try #require(config["max_grad_norm"] as? Double)
        ppo.learningRate = try #require(config["learning_rate"] as? Double)
        ppo.adamEps = try #require(config["adam_eps"] as? Double)
        let betas = flatDoubles(config["adam_betas"])
        ppo.adamBeta1 = betas[0]
        ppo.adamBeta2 = betas[1]

        var rng = RNG(seed: 0)
        let model = ActorCritic(observationSize: 4, actionSpace: .discrete(2), config: ppo, rng: &rng)
        let initial = try #require(json["initial_params"] as? [String: Any])
        let byName = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0) })
        #expect(Set(byName.keys) == Set(order), "parameter names match PyTorch's state_dict")
        for name in order {
            let p = try #require(byName[name])
            p.values = flatFloats(initial[name])
        }
        let batch = try #require(json["batch"] as? [String: Any])
        return Case(
            json: json, order: order, model: model, updater: PPOUpdater(model: model, config: ppo),
            batch: Minibatch(
                observations: flatFloats(batch["states"]), actions: flatFloats(batch["actions"]),
                oldLogProbs: flatFloats(batch["old_log_probs"]), advantages: flatFloats(batch["advantages"]),
                returns: flatFloats(batch["returns"]), oldValues: flatFloats(batch["old_values"])))
    }

    @Test("steps 1 and 2 match expected_float32")
    func twoSteps() throws {
        let c = try Self.makeCase()
        let expected = try #require(c.json["expected_float32"] as? [String: Any])
        let byName = Dictionary(uniqueKeysWithValues: c.model.parameters.map { ($0.name, $0) })
        for stepName in ["step1", "step2_same_batch"] {
            let e = try #require(expected[stepName] as? [String: Any])
            if stepName == "step1" {
                // Logits before any update.
                var logits = [Float](repeating: 0, count: 16)
                c.states.withUnsafeBufferPointer { s in
                    guard let base = s.baseAddress else { return }
                    let out = c.model.actor.forward(base, batch: 8)
                    for i in 0..<16 { logits[i] = out[i] }
                }
                expectClose(logits, flatDoubles(e["logits_before"]), "logits_before")
            }
            let stats = c.updater.computeGradients(c.batch)
            let tag = stepName
            expectClose(stats.policyLoss, try #require(e["actor_loss"] as? Double), "\(tag) actor_loss")
            expectClose(stats.valueLoss, try #require(e["critic_loss"] as? Double), "\(tag) critic_loss")
            expectClose(stats.entropy, try #require(e["entropy"] as? Double), "\(tag) entropy")
            expectClose(stats.totalLoss, try #require(e["total_loss"] as? Double), "\(tag) total_loss")
            expectClose(stats.approxKL, try #require(e["approx_kl"] as? Double), "\(tag) approx_kl")
            expectClose(stats.clipFraction, try #require(e["clip_fraction"] as? Double), "\(tag) clip_fraction")

            let perSample = try #require(e["per_sample"] as? [String: Any])
            expectClose(c.updater.lastNewLogProbs, flatDoubles(perSample["new_log_probs"]), "\(tag) new_log_probs")
            expectClose(c.updater.lastEntropies, flatDoubles(perSample["entropy"]), "\(tag) entropy per sample")
            expectClose(c.updater.lastNewValues, flatDoubles(perSample["new_values"]), "\(tag) new_values")
            let ratios = zip(c.updater.lastNewLogProbs, c.batch.oldLogProbs).map { expf($0 - $1) }
            expectClose(ratios, flatDoubles(perSample["ratio"]), "\(tag) ratio")

            let grads = try #require(e["grads"] as? [String: Any])
            for name in c.order {
                expectClose(try #require(byName[name]).gradients, flatDoubles(grads[name]), "\(tag) grad \(name)")
            }
            let norm = clipGradNorm(c.updater.optimizer.parameters, maxNorm: c.updater.config.maxGradNorm)
            expectClose(norm, try #require(e["grad_global_norm"] as? Double), "\(tag) grad_global_norm")
            let clippedGrads = try #require(e["grads_after_clip"] as? [String: Any])
            for name in c.order {
                expectClose(try #require(byName[name]).gradients, flatDoubles(clippedGrads[name]), "\(tag) clipped grad \(name)")
            }
            c.updater.optimizer.update()
            if let adam = e["adam_state_after"] as? [String: Any] {
                for (index, p) in c.updater.optimizer.parameters.enumerated() {
                    let state = try #require(adam[p.name] as? [String: Any])
                    #expect(Double(c.updater.optimizer.step) == (state["step"] as? Double))
                    let (m, v) = c.updater.optimizer.moments(of: index)
                    expectClose(m, flatDoubles(state["exp_avg"]), "\(tag) exp_avg \(p.name)")
                    expectClose(v, flatDoubles(state["exp_avg_sq"]), "\(tag) exp_avg_sq \(p.name)")
                }
            }
            let after = try #require(e["params_after"] as? [String: Any])
            for name in c.order {
                expectClose(try #require(byName[name]).values, flatDoubles(after[name]), "\(tag) param \(name)")
            }
        }
    }

    @Test("minibatchStep composes the same step")
    func composedStep() throws {
        let c = try Self.makeCase()
        let e = try #require((c.json["expected_float32"] as? [String: Any])?["step1"] as? [String: Any])
        let (loss, norm) = c.updater.minibatchStep(c.batch)
        expectClose(loss.totalLoss, try #require(e["total_loss"] as? Double), "total_loss")
        expectClose(norm, try #require(e["grad_global_norm"] as? Double), "grad_global_norm")
        let after = try #require(e["params_after"] as? [String: Any])
        for p in c.model.parameters {
            expectClose(p.values, flatDoubles(after[p.name]), "param \(p.name)")
        }
    }
}
