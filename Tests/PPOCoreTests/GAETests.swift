import Testing
@testable import PPOCore
import TestSupport

@Suite("GAE vs the seed's recursion", .offThePool)
struct GAETests {
    @Test("every case of gae_cases.json: seed semantics and truncation bootstrap")
    func allCases() throws {
        let json = try Reference.load("gae_cases.json")
        let cases = try #require(json["cases"] as? [[String: Any]])
        #expect(cases.count == 8)
        for c in cases {
            let name = try #require(c["name"] as? String)
            let gamma = Float(try #require(c["gamma"] as? Double))
            let lambda = Float(try #require(c["lambda"] as? Double))
            let rewards = flatFloats(c["rewards"])
            let values = flatFloats(c["values"])
            let dones = try #require(c["dones"] as? [Bool])
            let lastValue = Float(try #require(c["last_value"] as? Double))

            // The seed: done = terminated or truncated; pass dones as `terminated`, and also as `truncated`,
            // since the seed cannot tell them apart.
            let seed = GAE.compute(
                rewards: rewards, values: values, terminated: dones, truncated: Array(repeating: false, count: dones.count),
                lastValue: lastValue, gamma: gamma, lambda: lambda, handling: .seed)
            let seedTrunc = GAE.compute(
                rewards: rewards, values: values, terminated: Array(repeating: false, count: dones.count), truncated: dones,
                lastValue: lastValue, gamma: gamma, lambda: lambda, handling: .seed)
            let f32 = try #require(c["expected_seed_f32"] as? [String: Any])
            let f64 = try #require(c["expected_seed"] as? [String: Any])
            expectClose(seed.advantages, flatDoubles(f32["advantages"]), "\(name) seed advantages (f32)")
            expectClose(seed.returns, flatDoubles(f32["returns"]), "\(name) seed returns (f32)")
            expectClose(seed.advantages, flatDoubles(f64["advantages"]), "\(name) seed advantages (f64)")
            expectClose(seedTrunc.advantages, flatDoubles(f32["advantages"]), "\(name) seed, done as truncated")

            let variant = try #require(c["variant_truncation_bootstrap"] as? [String: Any])
            let terminated = try #require(variant["terminated"] as? [Bool])
            let truncated = try #require(variant["truncated"] as? [Bool])
            let truncationValues = try #require(variant["next_value_at_truncation"] as? [Any]).map {
                Float(($0 as? Double) ?? .nan)
            }
            let boot = GAE.compute(
                rewards: rewards, values: values, terminated: terminated, truncated: truncated,
                truncationValues: truncationValues, lastValue: Float(try #require(variant["last_value"] as? Double)),
                gamma: gamma, lambda: lambda, handling: .bootstrap)
            expectClose(boot.advantages, flatDoubles(variant["advantages"]), "\(name) bootstrap advantages")
            expectClose(boot.returns, flatDoubles(variant["returns"]), "\(name) bootstrap returns")
        }
    }

    @Test("bootstrap and seed differ exactly at a truncation")
    func truncationMatters() {
        let r: [Float] = [1, 1, 1]
        let v: [Float] = [5, 5, 5]
        let seed = GAE.compute(rewards: r, values: v, terminated: [false, false, false], truncated: [false, true, false],
                               lastValue: 5, gamma: 0.9, lambda: 1, handling: .seed)
        let boot = GAE.compute(rewards: r, values: v, terminated: [false, false, false], truncated: [false, true, false],
                               truncationValues: [0, 7, 0], lastValue: 5, gamma: 0.9, lambda: 1, handling: .bootstrap)
        // Step 1: seed treats truncation as terminal: δ = 1 − 5; bootstrap: δ = 1 + 0.9·7 − 5.
        #expect(seed.advantages[1] == -4)
        #expect(abs(boot.advantages[1] - (1 + 0.9 * 7 - 5)) < 1e-6)
        #expect(seed.advantages[2] == boot.advantages[2])
    }
}

@Suite("GAE over a batch's env segments", .offThePool)
struct BatchGAETests {
    @Test("each env's segment of a K-env batch gets exactly the GAE of that env's steps laid out alone",
          arguments: [GAE.TruncationHandling.bootstrap, .seed])
    func segmentsMatchAlone(handling: GAE.TruncationHandling) {
        let k = 3, t = 7
        var batch = TransitionBatch(policyVersion: 0, envCount: k, steps: t, observationSize: 1, actionSize: 1)
        var rng = RNG(seed: 9)
        for i in 0..<(k * t) {
            batch.rewards[i] = Float(rng.normal())
            batch.values[i] = Float(rng.normal())
            batch.truncationValues[i] = Float(rng.normal())
            let u = rng.uniformDouble()
            batch.terminated[i] = u < 0.15
            batch.truncated[i] = !batch.terminated[i] && u < 0.3
        }
        batch.bootstrapValues = [0.5, -1, 2]
        var advantages: [Float] = [], returns: [Float] = []
        batch.computeAdvantages(gamma: 0.99, lambda: 0.95, handling: handling, advantages: &advantages, returns: &returns)
        for e in 0..<k {
            let idx = (0..<t).map { batch.index(env: e, step: $0) }
            let alone = GAE.compute(
                rewards: idx.map { batch.rewards[$0] }, values: idx.map { batch.values[$0] },
                terminated: idx.map { batch.terminated[$0] }, truncated: idx.map { batch.truncated[$0] },
                truncationValues: idx.map { batch.truncationValues[$0] }, lastValue: batch.bootstrapValues[e],
                gamma: 0.99, lambda: 0.95, handling: handling)
            #expect(idx.map { advantages[$0] } == alone.advantages, "env \(e)")
            #expect(idx.map { returns[$0] } == alone.returns, "env \(e)")
        }
    }
}

@Suite("A batch gathered into rows", .offThePool)
struct BatchRowsTests {
    @Test("appendRows puts env k's step t at row t·K + k after what the rollout held, every column alike")
    func timeMajorRows() {
        let k = 3, t = 4, o = 2
        var batch = TransitionBatch(policyVersion: 0, envCount: k, steps: t, observationSize: o, actionSize: 1)
        // Each value names its place: 100·env + 10·step + component.
        for env in 0..<k {
            for step in 0..<t {
                let tag = Float(100 * env + 10 * step)
                for d in 0..<o { batch.observations[batch.index(env: env, step: step, component: d)] = tag + Float(d) }
                batch.actions[batch.index(env: env, step: step, component: 0)] = tag
                batch.values[batch.index(env: env, step: step)] = tag
                batch.logProbs[batch.index(env: env, step: step)] = -tag
            }
        }
        let advantages = (0..<(k * t)).map { Float($0) }
        var rollout = Rollout(reservingRows: 1 + k * t, observationSize: o, actionSize: 1)
        rollout.observations = [-1, -1]
        rollout.actions = [-1]
        rollout.logProbs = [-1]
        rollout.values = [-1]
        rollout.advantages = [-1]
        rollout.returns = [-1]
        batch.appendRows(to: &rollout, advantages: advantages, returns: advantages.map { $0 + 0.5 })
        #expect(rollout.count == 1 + k * t)
        for step in 0..<t {
            for env in 0..<k {
                let row = 1 + step * k + env
                let tag = Float(100 * env + 10 * step)
                #expect(Array(rollout.observations[(row * o)..<(row * o + o)]) == [tag, tag + 1], "row \(row)")
                #expect(rollout.actions[row] == tag && rollout.values[row] == tag && rollout.logProbs[row] == -tag)
                #expect(rollout.advantages[row] == Float(batch.index(env: env, step: step)))
                #expect(rollout.returns[row] == Float(batch.index(env: env, step: step)) + 0.5)
            }
        }
        #expect(batch.observationRows == Array(rollout.observations[o...]))
    }
}
