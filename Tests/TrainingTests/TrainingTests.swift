import Environments
import Foundation
import PPOCore
import Testing
@testable import Training
import TestSupport

@Suite("Training", .offThePool)
struct TrainingTests {
    static func tempDir() -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ppo-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("CartPole-v1 learns: deterministic evaluation ≥ 450 after 50k steps with the shipped preset (policy lag 0 and 1)",
          arguments: [0, 1])
    func cartPoleLearns(lag: Int) throws {
        var run = try Presets.load("CartPole-v1")
        run.totalSteps = 50_000
        run.ppo.maxPolicyLag = lag
        let training = try LocalTraining(run: run, seed: 1, checkpoints: .none)
        var lines = 0
        let summary = try training.train { _ in lines += 1 }
        #expect(lines == run.totalUpdates && summary.updates == run.totalUpdates)
        #expect(summary.envSteps == run.totalUpdates * run.ppo.rolloutSteps)
        let eval = try EvaluationResult.run(
            model: training.trainer.model, preprocessing: training.trainer.preprocessing,
            envID: "CartPole-v1", episodes: 10, seed: 77)
        #expect(eval.mean >= 450, "deterministic return \(eval.mean) after \(summary.envSteps) steps")
    }

    @Test("an untrained policy does not pass that bar (the test above can fail)")
    func untrainedFails() throws {
        let trainer = Trainer(observationSize: 4, actionSpace: .discrete(2), config: .default, seed: 1)
        let eval = try EvaluationResult.run(
            model: trainer.model, preprocessing: .none, envID: "CartPole-v1", episodes: 10, seed: 77)
        #expect(eval.mean < 100)
    }

    @Test("the collector records truncations with V(final observation) and V(s_T) after the segment")
    func collectorTruncation() throws {
        // Pendulum never terminates and truncates at 200 steps.
        let env = try VectorEnv(id: "Pendulum-v1", count: 2, seed: 5)
        let collector = RolloutCollector(env: env)
        var rng = RNG(seed: 1)
        let model = ActorCritic(observationSize: 3, actionSpace: env.spec.actionSpace, config: .default, rng: &rng)
        var finals: [[Float]] = []
        let batch = try collector.collect(steps: 250, policy: model, preprocessing: .none, version: 7, rng: &rng)
        #expect(batch.policyVersion == 7 && batch.count == 500 && batch.isConsistent)
        #expect(batch.terminated.allSatisfy { !$0 })
        for t in 0..<250 {
            for k in 0..<2 {
                let i = batch.index(env: k, step: t)
                #expect(batch.truncated[i] == (t == 199), "step \(t) env \(k)")
                if t != 199 { #expect(batch.truncationValues[i] == 0) }
            }
        }
        #expect(batch.episodes.count == 2 && batch.episodes.allSatisfy { $0.length == 200 })
        // V(final obs) is the critic at the last observation of the episode: recompute it from the env's dynamics
        // by replaying is not possible, but it must differ from V of the reset observation recorded at t = 200.
        for k in 0..<2 {
            let v = batch.truncationValues[batch.index(env: k, step: 199)]
            #expect(v != 0 && v.isFinite)
            #expect(v != batch.values[batch.index(env: k, step: 200)])
        }
        // V(s_T): the critic at the current observation of each env.
        let current = collector.env.observations
        for k in 0..<2 {
            var value: Float = 0
            current.withUnsafeBufferPointer { model.value(observations: $0.baseAddress! + k * 3, count: 1, into: &value) }
            // Batched (sgemm) and single (sgemv) products round differently in the last bits.
            #expect(abs(value - batch.bootstrapValues[k]) < 1e-5)
            finals.append(Array(current[(k * 3)..<(k * 3 + 3)]))
        }
        // Consecutive batches continue the same episodes: the next batch starts where this one ended.
        let next = try collector.collect(steps: 1, policy: model, preprocessing: .none, version: 8, rng: &rng)
        #expect(Array(next.observationRows[0..<3]) == finals[0])
    }

    @Test("observation normalisation: the update sees this version's statistics, the next version folds the batch in")
    func normalisation() throws {
        var config = PPOConfig.default
        config.normalizeObservations = true
        config.numEnvs = 4
        config.rolloutSteps = 64
        let env = try VectorEnv(id: "MountainCar-v0", count: 4, seed: 2)
        let trainer = Trainer(observationSize: 2, actionSpace: env.spec.actionSpace, config: config, seed: 3)
        let collector = RolloutCollector(env: env)
        let before = try #require(trainer.observationNormalizer)
        #expect(before.mean == [0, 0] && before.variance == [1, 1])
        let batch = try collector.collect(steps: 16, policy: trainer.model, preprocessing: ObservationPreprocessing(normalizer: before), version: 0, rng: &trainer.rng)
        _ = trainer.train(on: [batch], update: 1, totalUpdates: 1)
        var expected = RunningMeanStd(dimension: 2)
        batch.observationRows.withUnsafeBufferPointer { expected.update($0.baseAddress!, rows: 64) }
        #expect(trainer.observationNormalizer == expected && trainer.version == 1)
    }

    @Test("a checkpoint restores parameters, Adam, normaliser, counters and RNG exactly")
    func checkpointRoundTrip() throws {
        var run = try Presets.load("Acrobot-v1")
        run.totalSteps = 4096 * 2
        let dir = Self.tempDir()
        let url = dir.appendingPathComponent("checkpoint.safetensors")
        let training = try LocalTraining(run: run, seed: 4, checkpoints: CheckpointPolicy(url: url, every: 1))
        _ = try training.train { _ in }
        let restored = try Checkpoint.read(from: url).makeTrainer()
        let original = training.trainer
        #expect(restored.model.flatParameters == original.model.flatParameters)
        #expect(restored.version == original.version && restored.version == 2 && restored.updates == 2)
        #expect(restored.trainedTransitions == original.trainedTransitions)
        #expect(restored.observationNormalizer == original.observationNormalizer && restored.observationNormalizer != nil)
        #expect(restored.rng == original.rng && restored.config == original.config)
        #expect(restored.updater.optimizer.step == original.updater.optimizer.step)
        for i in original.model.parameters.indices {
            #expect(restored.updater.optimizer.moments(of: i) == original.updater.optimizer.moments(of: i))
        }
        // The restored trainer's next update is bit-identical to the original's.
        let env = try VectorEnv(id: "Acrobot-v1", count: 16, seed: 9)
        var rng = RNG(seed: 9)
        let batch = try RolloutCollector(env: env).collect(
            steps: 8, policy: original.model, preprocessing: original.preprocessing, version: 2, rng: &rng)
        _ = original.train(on: [batch], update: 3, totalUpdates: 3)
        _ = restored.train(on: [batch], update: 3, totalUpdates: 3)
        #expect(restored.model.flatParameters == original.model.flatParameters)
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("damaged checkpoints are refused with a reason, and an interrupted write leaves the old one")
    func damagedCheckpoints() throws {
        let dir = Self.tempDir()
        let url = dir.appendingPathComponent("checkpoint.safetensors")
        let trainer = Trainer(observationSize: 4, actionSpace: .discrete(2), config: .default, seed: 1)
        try Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 0).write(to: url)
        let good = try Data(contentsOf: url)
        let bad = dir.appendingPathComponent("bad.safetensors")
        for damaged in [good.prefix(5), good.prefix(good.count - 10), Data([255, 255, 255, 255, 0, 0, 0, 0]) + good.dropFirst(8)] {
            try Data(damaged).write(to: bad)
            #expect(throws: Checkpoint.CheckpointError.self) { try Checkpoint.read(from: bad) }
        }
        // A parameter with the wrong shape.
        var (tensors, metadata) = try SafeTensors.decode(good)
        tensors["actor.0.weight"] = .f32([1, 2, 3], shape: [3])
        try SafeTensors.encode(tensors, metadata: metadata).write(to: bad)
        #expect(throws: Checkpoint.CheckpointError.self) { try Checkpoint.read(from: bad) }
        // NaN weights.
        (tensors, metadata) = try SafeTensors.decode(good)
        if case .f32(var v, let shape)? = tensors["critic.4.bias"] {
            v[0] = .nan
            tensors["critic.4.bias"] = .f32(v, shape: shape)
        }
        try SafeTensors.encode(tensors, metadata: metadata).write(to: bad)
        #expect(throws: Checkpoint.CheckpointError.self) { try Checkpoint.read(from: bad) }
        // No temporary files are left next to the checkpoint.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
        try? FileManager.default.removeItem(at: dir)
    }

    @Test("safetensors layout: little-endian header length, JSON header, 8-byte aligned data")
    func safetensorsLayout() throws {
        let data = SafeTensors.encode(["b": .f32([1, 2], shape: [2]), "a": .f64([3], shape: [1, 1])], metadata: ["k": "v"])
        let n = Int(data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        #expect(n % 8 == 0 && 8 + n + 8 + 8 == data.count)
        let header = try #require(try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + n))) as? [String: Any])
        #expect((header["__metadata__"] as? [String: String]) == ["k": "v"])
        let a = try #require(header["a"] as? [String: Any])
        #expect(a["dtype"] as? String == "F64" && a["shape"] as? [Int] == [1, 1] && a["data_offsets"] as? [Int] == [0, 8])
        let b = try #require(header["b"] as? [String: Any])
        #expect(b["data_offsets"] as? [Int] == [8, 16])
        #expect(Array(data.suffix(8)) == [0, 0, 0x80, 0x3F, 0, 0, 0, 0x40])  // 1.0f, 2.0f little-endian
        let back = try SafeTensors.decode(data)
        #expect(back.tensors["a"] == .f64([3], shape: [1, 1]) && back.metadata == ["k": "v"])
    }
}

@Suite("Configuration", .offThePool)
struct ConfigurationTests {
    @Test("every shipped preset loads and is valid", arguments: ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1", "seed"])
    func presets(name: String) throws {
        let run = try Presets.load(name)
        #expect(run.problems().isEmpty, "\(run.problems())")
        #expect(EnvironmentRegistry.ids.contains(run.envID))
        #expect(Presets.names.contains(name))
    }

    @Test("a MuJoCo preset is what --env gym:ID trains with: gym:HalfCheetah-v5 resolves to HalfCheetah-v5.yaml")
    func gymPreset() throws {
        #expect(Presets.names.contains("HalfCheetah-v5"))
        let run = try RunConfiguration.resolve(env: "gym:HalfCheetah-v5", config: nil, steps: nil, overrides: [])
        #expect(run.envID == "gym:HalfCheetah-v5" && run.totalSteps == 1_000_000)
        #expect(run.ppo.hiddenSizes == [128, 128] && run.ppo.activation == .relu && run.ppo.initialLogStd == -2)
        #expect(run.ppo.numEnvs == 4 && run.ppo.gamma == 0.99 && run.ppo.clipCoef == 0.2 && run.ppo.learningRateSchedule == .linear)
        #expect(run.ppo.normalizeObservations && run.ppo.normalizeRewards && run.ppo.truncation == .bootstrap)
    }

    @Test("a package's env takes the preset of the id it registers: gym:highway_env:highway-fast-v0 trains with highway-fast-v0.yaml; LunarLander-v3 has rl-zoo's; MiniGrid-DoorKey-5x5-v0's names its wrapper")
    func packagePreset() throws {
        let highway = try RunConfiguration.resolve(env: "gym:highway_env:highway-fast-v0", config: nil, steps: nil, overrides: [])
        #expect(highway.problems().isEmpty, "\(highway.problems())")
        #expect(highway.envID == "gym:highway_env:highway-fast-v0" && highway.totalSteps == 100_000)
        #expect(highway.ppo.hiddenSizes == [256, 256] && highway.ppo.gamma == 0.8 && highway.ppo.numEnvs == 6 && highway.ppo.rolloutSteps == 6 * 128)
        let lander = try RunConfiguration.resolve(env: "gym:LunarLander-v3", config: nil, steps: nil, overrides: [])
        #expect(lander.ppo.numEnvs == 16 && lander.ppo.rolloutSteps == 16 * 1024 && lander.ppo.gamma == 0.999 && lander.ppo.gaeLambda == 0.98)
        #expect(lander.ppo.updateEpochs == 4 && lander.ppo.entropyCoef == 0.01 && lander.ppo.valueCoef == 1.0 && lander.totalSteps == 1_000_000)
        // MiniGrid's DoorKey sees the agent's view alone: its preset puts it in MiniGrid's ImgObsWrapper.
        let doorKey = try RunConfiguration.resolve(env: "gym:minigrid:MiniGrid-DoorKey-5x5-v0", config: nil, steps: nil, overrides: [])
        #expect(doorKey.problems().isEmpty, "\(doorKey.problems())")
        #expect(doorKey.envSetup.wrappers == [EnvironmentSetup.Wrapper(path: "minigrid.wrappers:ImgObsWrapper")] && doorKey.envSetup.registrations.isEmpty)
        #expect(doorKey.ppo.numEnvs == 8 && doorKey.ppo.rolloutSteps == 8 * 128 && doorKey.ppo.learningRate == 2.5e-4 && doorKey.totalSteps == 100_000)
        // Atari Pong (a namespaced id: its preset is ALE-Pong-v5) with CleanRL's preprocessing as preset wrappers.
        let pong = try RunConfiguration.resolve(env: "gym:ale_py:ALE/Pong-v5", config: nil, steps: nil, overrides: [])
        #expect(pong.problems().isEmpty, "\(pong.problems())")
        #expect(pong.envSetup.wrappers.map(\.path) == ["gymnasium.wrappers:AtariPreprocessing", "gymnasium.wrappers:FrameStackObservation"])
        #expect(pong.envArguments.contains("\"frameskip\":1") && pong.ppo.minibatchSize == 256 && pong.ppo.updateEpochs == 4)
        #expect(pong.ppo.clipCoef == 0.1 && pong.ppo.valueClipCoef == 0.1 && pong.ppo.learningRateSchedule == .linear && pong.totalSteps == 10_000_000)
        // An unknown package's env has no preset: the defaults.
        let other = try RunConfiguration.resolve(env: "gym:my_package:MyEnv-v0", config: nil, steps: nil, overrides: [])
        #expect(other.ppo == .default && other.envID == "gym:my_package:MyEnv-v0")
        #expect(EnvironmentSelection(id: "gym:highway_env:highway-fast-v0").registeredID == "highway-fast-v0")
        #expect(EnvironmentSelection(id: "gym:CartPole-v1").registeredID == "CartPole-v1")
    }

    static let mujoco = ["HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Ant-v5", "Humanoid-v5", "Swimmer-v5",
                         "InvertedPendulum-v5", "InvertedDoublePendulum-v5", "Reacher-v5", "Pusher-v5"]

    @Test("every MuJoCo preset is what --env gym:ID trains with: valid, 1M steps, normalised (but one), bootstrapped at truncation",
          arguments: mujoco)
    func mujocoPreset(name: String) throws {
        #expect(Presets.names.contains(name))
        let run = try RunConfiguration.resolve(env: "gym:\(name)", config: nil, steps: nil, overrides: [])
        #expect(run.problems().isEmpty, "\(run.problems())")
        #expect(run.envID == "gym:\(name)" && run.totalSteps == 1_000_000)
        // InvertedDoublePendulum-v5 learns to balance for good only without either normalisation (see its preset).
        let normalised = name != "InvertedDoublePendulum-v5"
        #expect(run.ppo.normalizeObservations == normalised && run.ppo.normalizeRewards == normalised && run.ppo.truncation == .bootstrap)
    }

    @Test("the MuJoCo presets carry their sources' settings, not the defaults")
    func mujocoSettings() throws {
        let hopper = try Presets.load("Hopper-v5").ppo
        #expect(hopper.rolloutSteps == 2048 && hopper.hiddenSizes == [64, 64] && hopper.valueClipCoef == 0.2 && hopper.learningRateSchedule == .linear)
        // rl-zoo's vf_coef weighs SB3's mean squared error; this project's value loss is half of it.
        let walker = try Presets.load("Walker2d-v5").ppo
        #expect(walker.valueCoef == 2 * 0.871923)
        #expect(walker.updateEpochs == 20 && walker.clipCoef == 0.1 && walker.hiddenSizes == [64, 64])
        let pendulum = try Presets.load("InvertedPendulum-v5").ppo
        #expect(pendulum.rolloutSteps == 32 && pendulum.clipCoef == 0.4 && pendulum.gaeLambda == 0.9 && pendulum.learningRateSchedule == .linear)
        let swimmer = try Presets.load("Swimmer-v5").ppo
        #expect(swimmer.gamma == 0.9999 && swimmer.gaeLambda == 0.99)
        let humanoid = try Presets.load("Humanoid-v5").ppo
        #expect(humanoid.rolloutSteps == 2048 && humanoid.valueClipCoef == 0.2 && humanoid.learningRateSchedule == .linear)
        #expect(humanoid.initialLogStd == -1.0)
        // Ant's policy does not see the contact forces: gymnasium.make gets the preset's env_args, --env gym:Ant-v5 too.
        let ant = try RunConfiguration.resolve(env: "gym:Ant-v5", config: nil, steps: nil, overrides: [])
        #expect(ant.envArguments == #"{"include_cfrc_ext_in_observation":false}"#)
        #expect(ant.ppo.valueClipCoef == 0.2 && ant.ppo.learningRateSchedule == .linear && ant.ppo.hiddenSizes == [64, 64])
    }

    @Test("env_args keep the kind of every number: 1.0 and 2.5e10 stay floats for Python, 3 an int, whether from --env-arg, a preset's YAML or a canonical text read back; a non-finite one is refused")
    func envArgumentNumbers() throws {
        let expected = #"{"big":25000000000.0,"count":3,"flag":true,"list":[1.0,2],"name":"a/b","none":null,"scale":1.0,"small":1e-05}"#
        let pairs = ["scale=1.0", "count=3", "big=2.5e10", "small=1e-5", "flag=true", "none=null", "list=[1.0, 2]", "name=a/b"]
        #expect(try EnvironmentSelection.arguments(fromPairs: pairs) == expected)
        let yaml = "env: gym:X-v0\nenv_args:\n  scale: 1.0\n  count: 3\n  big: 2.5e10\n  small: 1.0e-5\n  flag: true\n  none: null\n  list: [1.0, 2]\n  name: a/b\n"
        #expect(try RunConfiguration.parse(yaml: yaml, source: "test.yaml").envArguments == expected)
        // Laid over an existing canonical text, its numbers keep their kind too.
        #expect(try EnvironmentSelection.arguments(fromPairs: ["extra=2"], over: expected)
                == expected.replacingOccurrences(of: #""flag""#, with: #""extra":2,"flag""#))
        #expect {
            try RunConfiguration.parse(yaml: "env: gym:X-v0\nenv_args:\n  scale: .inf\n", source: "test.yaml")
        } throws: { error in
            "\(error)".contains("env_args") && "\(error)".contains("finite")
        }
    }

    @Test("--env-arg pairs lay over the preset's env_args, in the same canonical text as the preset's own")
    func envArgumentsOverPreset() throws {
        let preset = try Presets.load("Ant-v5").envArguments
        // A worker told the preset's arguments on its command line hashes the same text as the learner.
        #expect(try EnvironmentSelection.arguments(fromPairs: ["include_cfrc_ext_in_observation=false"]) == preset)
        let added = try RunConfiguration.resolve(env: "gym:Ant-v5", config: nil, steps: nil, overrides: [],
                                                 envArguments: ["ctrl_cost_weight=0.05", "xml_file=./ant/my ant.xml"])
        #expect(added.envArguments == #"{"ctrl_cost_weight":0.05,"include_cfrc_ext_in_observation":false,"xml_file":"./ant/my ant.xml"}"#)
        let replaced = try RunConfiguration.resolve(env: "gym:Ant-v5", config: nil, steps: nil, overrides: [],
                                                    envArguments: ["include_cfrc_ext_in_observation=true"])
        #expect(replaced.envArguments == #"{"include_cfrc_ext_in_observation":true}"#)
        #expect(throws: ConfigurationError.self) {
            try RunConfiguration.resolve(env: "gym:Ant-v5", config: nil, steps: nil, overrides: [], envArguments: ["a=1", "a=2"])
        }
    }

    @Test("the seed preset is exactly PPOConfig.seed on CartPole-v1")
    func seedPreset() throws {
        let run = try Presets.load("seed")
        #expect(run.ppo == PPOConfig.seed && run.envID == "CartPole-v1")
    }

    @Test("overrides use the preset names; bad keys and values say what is wrong")
    func overrides() throws {
        var run = try Presets.load("CartPole-v1")
        try run.set("gamma", yaml: "0.95")
        try run.set("hidden_sizes", yaml: "[32, 16]")
        try run.set("learning_rate_schedule", yaml: "constant")
        try run.set("value_clip_coef", yaml: "null")
        try run.set("total_steps", yaml: "1e5")
        #expect(run.ppo.gamma == 0.95 && run.ppo.hiddenSizes == [32, 16] && run.ppo.learningRateSchedule == .constant)
        #expect(run.totalSteps == 100_000 && run.ppo.valueClipCoef == nil)
        #expect(throws: ConfigurationError.self) { try run.set("gama", yaml: "0.9") }
        do {
            try run.set("learning_rat", yaml: "0.1")
            Issue.record("a typo'd key was accepted")
        } catch {
            #expect("\(error)".contains("did you mean 'learning_rate'?"), "\(error)")
        }
        #expect(ConfigurationError.suggestion(for: "zzzz", among: ["gamma", "clip_coef"]) == nil)
        #expect(throws: ConfigurationError.badValue(key: "activation", value: "sigmoid", expected: "one of tanh, relu")) {
            try run.set("activation", yaml: "sigmoid")
        }
        #expect(throws: ConfigurationError.self) { try run.set("num_envs", yaml: "-2") }
        #expect(throws: ConfigurationError.self) { try RunConfiguration.parse(yaml: "- a list", source: "x.yaml") }
        #expect(throws: ConfigurationError.self) { try Presets.load("NoSuchPreset") }
        run.ppo.numEnvs = 3
        #expect(!run.problems().isEmpty)  // 256 is not a multiple of 3
        do {
            _ = try RunConfiguration.resolve(env: "CartPole-v1", config: nil, steps: nil, overrides: ["num_envs=3"])
            Issue.record("an inconsistent configuration was accepted")
        } catch {
            #expect(error.description == "the configuration does not hold together: rollout_steps (256) must be a multiple of num_envs (3)")
        }
    }
}
