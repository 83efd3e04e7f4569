import Environments
import Foundation
import Logging
import PPOCore
import Testing
@testable import Training
import TestSupport

@Suite("Checkpoint policy", .offThePool)
struct CheckpointPolicyTests {
    @Test("checkpoints every N updates and always after the last one; --checkpoint-every 0 still writes the last")
    func destination() {
        let url = URL(fileURLWithPath: "/tmp/x/checkpoint.safetensors")
        let every3 = CheckpointPolicy(url: url, every: 3)
        #expect((1...10).filter { every3.destination(afterUpdate: $0, of: 10) != nil } == [3, 6, 9, 10])
        let onlyLast = CheckpointPolicy(url: url, every: 0)
        #expect((1...10).filter { onlyLast.destination(afterUpdate: $0, of: 10) != nil } == [10])
        #expect((1...10).allSatisfy { CheckpointPolicy.none.destination(afterUpdate: $0, of: 10) == nil })
    }

    @Test("a failed checkpoint write is counted with its cause and leaves the last good file as it was; a later write succeeds and clears the failure")
    func failedWriteKeepsTheLastGood() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("ckpt-fail-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = CheckpointPolicy.file(in: dir)
        let policy = CheckpointPolicy(url: url, every: 1)
        let trainer = Trainer(observationSize: 4, actionSpace: .discrete(2), config: .default, seed: 1)
        let logger = Logger(label: "test")
        var record = CheckpointRecord()
        record.note(policy.writeIfDue({ Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 10) }, afterUpdate: 1, of: 5, logger: logger))
        let good = try Data(contentsOf: url)
        // The temporary file's name taken by a folder: the write cannot even start.
        let blocker = dir.appendingPathComponent(CheckpointFile.temporaryPrefix(for: url) + "\(getpid())")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: false)
        let failed = policy.writeIfDue({ Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 20) }, afterUpdate: 2, of: 5, logger: logger)
        guard case .failed(let cause)? = failed else { Issue.record("the write did not fail: \(String(describing: failed))"); return }
        #expect(cause.contains(dir.path))
        record.note(failed)
        #expect(record == CheckpointRecord(written: 1, failures: 1, lastFailure: cause))
        #expect(record.finalFailure?.contains("--resume") == true)
        #expect(try Data(contentsOf: url) == good)
        #expect(try Checkpoint.read(from: url).envSteps == 10)
        #expect(CheckpointPolicy(url: url, every: 4).writeIfDue({ Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 30) }, afterUpdate: 3, of: 5, logger: logger) == nil)
        try FileManager.default.removeItem(at: blocker)
        record.note(policy.write(Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 40), when: "at the stop", logger: logger))
        #expect(record.written == 2 && record.failures == 1 && record.lastFailure == nil && record.finalFailure == nil)
        #expect(try Checkpoint.read(from: url).envSteps == 40)
    }

    @Test("a checkpoint of another environment or other spaces is refused for resume, naming both")
    func resumable() throws {
        let cartPole = try EnvironmentRegistry.spec(id: "CartPole-v1")
        let acrobot = try EnvironmentRegistry.spec(id: "Acrobot-v1")
        let trainer = Trainer(observationSize: cartPole.observationSize, actionSpace: cartPole.actionSpace, config: .default, seed: 1)
        let checkpoint = Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 0)
        try CheckpointPolicy.checkResumable(checkpoint, environment: EnvironmentSelection(id: "CartPole-v1", arguments: ""), spec: cartPole)
        do {
            try CheckpointPolicy.checkResumable(checkpoint, environment: EnvironmentSelection(id: "Acrobot-v1", arguments: ""), spec: acrobot)
            Issue.record("resumed a CartPole-v1 checkpoint as Acrobot-v1")
        } catch {
            #expect(error.description.contains("CartPole-v1") && error.description.contains("Acrobot-v1"))
        }
    }
}

@Suite("Configuration coding", .offThePool)
struct ConfigCodingTests {
    @Test("the config is written with the presets' snake_case keys and read back whole; a config written in the earlier camelCase keys reads the same")
    func checkpointKeys() throws {
        var c = PPOConfig.seed
        c.targetKL = 0.02
        c.valueClipCoef = 0.3
        c.hiddenSizes = [32, 16]
        let data = try JSONEncoder().encode(c)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains("\"hidden_sizes\"") && text.contains("\"target_kl\"") && !text.contains("hiddenSizes"), "\(text)")
        #expect(try CheckpointCodec.configDecoder.decode(PPOConfig.self, from: data) == c)
        let camel = #"{"hiddenSizes":[32,16],"activation":"tanh","initialization":"pytorch-default","initialLogStd":0,"numEnvs":1,"rolloutSteps":2048,"gamma":0.99,"gaeLambda":0.95,"truncation":"seed","learningRate":0.0003,"learningRateSchedule":"constant","updateEpochs":10,"minibatchSize":64,"clipCoef":0.2,"valueClipCoef":0.3,"valueCoef":0.5,"entropyCoef":0.01,"maxGradNorm":0.5,"adamBeta1":0.9,"adamBeta2":0.999,"adamEps":1e-08,"advantageNormalization":"rollout","targetKL":0.02,"normalizeObservations":false,"normalizeRewards":false,"observationClip":10,"rewardClip":10}"#
        #expect(try CheckpointCodec.configDecoder.decode(PPOConfig.self, from: Data(camel.utf8)) == c)
    }

    @Test("a preset names only what it changes; the rest comes from its base")
    func presetOverBase() throws {
        let run = try RunConfiguration.parse(yaml: "base: seed\nenv: CartPole-v1\nlearning_rate: 0.001\ntotal_steps: 1e5\n", source: "t.yaml")
        var expected = PPOConfig.seed
        expected.learningRate = 0.001
        #expect(run.ppo == expected && run.totalSteps == 100_000 && run.envID == "CartPole-v1")
        #expect(throws: ConfigurationError.inFile("t.yaml", .badValue(key: "update_epochs", value: "ten", expected: "a positive whole number"))) {
            try RunConfiguration.parse(yaml: "env: CartPole-v1\nupdate_epochs: ten\n", source: "t.yaml")
        }
        #expect(throws: ConfigurationError.self) { try RunConfiguration.parse(yaml: "env: CartPole-v1\nlearning_rat: 0.1\n", source: "t.yaml") }
    }
}
