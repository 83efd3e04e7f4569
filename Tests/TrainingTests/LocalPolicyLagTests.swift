import Environments
import Foundation
import PPOCore
import Testing
@testable import Training
import TestSupport

/// `ppo train --workers 0 --max-policy-lag 1`: the next rollout is collected on a thread of its own, by the policy
/// before the update in progress.
@Suite("Single-process training with a policy lag of 1", .offThePool)
struct LocalPolicyLagTests {
    /// Acrobot's preset (16 envs, observation normalisation) cut to `updates` updates, with policy lag `lag`.
    static func run(updates: Int, lag: Int = 1) throws -> RunConfiguration {
        var run = try Presets.load("Acrobot-v1")
        run.totalSteps = run.ppo.rolloutSteps * updates
        run.ppo.maxPolicyLag = lag
        return run
    }

    @Test("every rollout after the first is collected by the version before the one that trains on it, bit for bit")
    func rolloutsOfTheVersionBefore() throws {
        let run = try Self.run(updates: 3)
        let seed: UInt64 = 6
        let lagged = try LocalTraining(run: run, seed: seed, checkpoints: .none)
        let summary = try lagged.train { _ in }
        #expect(summary.updates == 3 && summary.envSteps == 3 * run.ppo.rolloutSteps)

        // The same run by hand: the streams a single-process run collects with, rollout k collected by version
        // k − 1 (the first by version 0), each trained one version later.
        let streams = CollectorStreams(runSeed: seed, collector: CollectorStreams.localName, session: 0)
        let env = try VectorEnv(id: run.envID, count: run.ppo.numEnvs, seed: streams.environmentSeed)
        let collector = RolloutCollector(env: env, scaleRewards: run.ppo.normalizeRewards, gamma: run.ppo.gamma, rewardClip: run.ppo.rewardClip)
        let trainer = Trainer(observationSize: env.observationSize, actionSpace: env.spec.actionSpace, config: run.ppo, seed: seed)
        var actions = streams.actions
        let stepsPerEnv = run.ppo.rolloutSteps / run.ppo.numEnvs
        var snapshot = ActorCriticCopy(trainer)
        var batch = try collector.collect(steps: stepsPerEnv, policy: snapshot.model, preprocessing: ObservationPreprocessing(normalizer: snapshot.normalizer), version: 0, rng: &actions)
        for update in 1...3 {
            snapshot = ActorCriticCopy(trainer)
            let next = update < 3
                ? try collector.collect(steps: stepsPerEnv, policy: snapshot.model, preprocessing: ObservationPreprocessing(normalizer: snapshot.normalizer), version: trainer.version, rng: &actions)
                : nil
            _ = trainer.train(on: [batch], update: update, totalUpdates: 3, maxPolicyLag: 1)
            if let next { batch = next }
        }
        #expect(lagged.trainer.model.flatParameters == trainer.model.flatParameters)
        #expect(lagged.trainer.observationNormalizer == trainer.observationNormalizer)

        // Without the lag the second rollout is the first update's: the runs part after one update.
        let strict = try LocalTraining(run: try Self.run(updates: 3, lag: 0), seed: seed, checkpoints: .none)
        _ = try strict.train { _ in }
        #expect(strict.trainer.model.flatParameters != lagged.trainer.model.flatParameters)
        let strictOne = try LocalTraining(run: try Self.run(updates: 1, lag: 0), seed: seed, checkpoints: .none)
        let laggedOne = try LocalTraining(run: try Self.run(updates: 1), seed: seed, checkpoints: .none)
        _ = try strictOne.train { _ in }
        _ = try laggedOne.train { _ in }
        #expect(strictOne.trainer.model.flatParameters == laggedOne.trainer.model.flatParameters)
    }

    @Test("a stop drops the rollout in flight: the checkpoint counts trained steps only, and the resumed run finishes")
    func stopAndResume() throws {
        let run = try Self.run(updates: 4)
        let dir = TrainingTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("checkpoint.safetensors")
        let stop = StopRequest()
        let first = try LocalTraining(run: run, seed: 3, checkpoints: CheckpointPolicy(url: url, every: 0))
        let stopped = try first.train(stop: stop) { p in if p.update == 2 { stop.request() } }
        #expect(stopped.updates == 2 && stopped.envSteps == 2 * run.ppo.rolloutSteps)
        let saved = try Checkpoint.read(from: url)
        #expect(saved.updates == 2 && saved.envSteps == 2 * run.ppo.rolloutSteps)

        let resumed = try LocalTraining(run: run, seed: 3, checkpoints: CheckpointPolicy(url: url, every: 0), resume: saved)
        let summary = try resumed.train { _ in }
        #expect(summary.updates == 4 && summary.envSteps == 4 * run.ppo.rolloutSteps)
        #expect(try Checkpoint.read(from: url).updates == 4)
    }

    @Test("a lag other than 0 or 1 is refused, by the loop and as a setting")
    func lagRange() throws {
        var run = try Self.run(updates: 1, lag: 2)
        #expect(throws: ConfigurationError.self) { try LocalTraining(run: run, seed: 1, checkpoints: .none) }
        try run.set("max_policy_lag", yaml: "1")
        #expect(run.ppo.maxPolicyLag == 1 && run.problems().isEmpty)
        try run.set("max_policy_lag", yaml: "0")
        #expect(run.ppo.maxPolicyLag == 0 && run.problems().isEmpty)
        try run.set("max_policy_lag", yaml: "2")
        #expect(run.problems().contains { $0.hasPrefix("max_policy_lag must be 0 or 1") }, "\(run.problems())")
        #expect(throws: ConfigurationError.badValue(key: "max_policy_lag", value: "-1", expected: "0 or 1")) {
            try run.set("max_policy_lag", yaml: "-1")
        }
    }

    @Test("a preset tuned with a lag carries it (HalfCheetah-v5: 1), the others are strictly on-policy, and the checkpoint keeps it")
    func presetLag() throws {
        #expect(try Presets.load("HalfCheetah-v5").ppo.maxPolicyLag == 1)
        #expect(try Presets.load("Hopper-v5").ppo.maxPolicyLag == 0 && PPOConfig.default.maxPolicyLag == 0)
        var run = try Self.run(updates: 1)
        run.ppo.maxPolicyLag = 1
        let trainer = Trainer(observationSize: 6, actionSpace: .discrete(3), config: run.ppo, seed: 1)
        let dir = TrainingTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("checkpoint.safetensors")
        try Checkpoint(trainer: trainer, envID: run.envID, envSteps: 0).write(to: url)
        #expect(try Checkpoint.read(from: url).config.maxPolicyLag == 1)
    }

    @Test("a resumed run may change its lag (not a setting the checkpoint's state depends on)")
    func resumeChangesLag() throws {
        let run = try Self.run(updates: 2, lag: 0)
        let trainer = Trainer(observationSize: 6, actionSpace: .discrete(3), config: run.ppo, seed: 1)
        let saved = Checkpoint(trainer: trainer, envID: run.envID, envSteps: 0)
        var asked = run
        try asked.set("max_policy_lag", yaml: "1")
        let resumed = try ResumeRules.resumed(asked, from: saved, named: ["max_policy_lag"])
        #expect(resumed.ppo.maxPolicyLag == 1 && saved.config.maxPolicyLag == 0)
    }
}

/// A frozen copy of a trainer's policy and observation statistics, as the lagged collector acts with.
private struct ActorCriticCopy {
    let model: any PolicyNetwork
    let normalizer: RunningMeanStd?

    init(_ trainer: Trainer) {
        model = trainer.model.sameArchitecture()
        model.copyParameters(from: trainer.model)
        normalizer = trainer.observationNormalizer
    }
}
