import Environments
import Foundation
import PPOCore
import Testing
@testable import Training
import TestSupport

/// A convolutional network in checkpoints: its description is stored beside the tensors, a trainer resumes it as it
/// was, and a description that does not fit the file is refused before anything is sized by it.
@Suite("Convolutional checkpoints", .offThePool)
struct ConvolutionalCheckpointTests {
    static let network: NetworkSpec = {
        let image = ImageLayout(offset: 2, height: 36, width: 36, channels: 1, channelsFirst: false, scale: 1 / 255)
        return NetworkSpec(observationSize: 2 + 1_296, body: .convolutional(
            image: image, convolutions: [.init(outChannels: 4, kernel: 8, stride: 4), .init(outChannels: 8, kernel: 3, stride: 2)], hidden: 16),
            head: .categorical(segments: [2]))
    }()

    static func trainer() -> Trainer {
        var config = PPOConfig.default
        config.normalizeObservations = true
        config.minibatchSize = 8
        config.updateEpochs = 2
        let trainer = Trainer(network: network, actionSpace: .discrete(2), config: config, seed: 3)
        var batch = TransitionBatch(policyVersion: 0, envCount: 1, steps: 16, observationSize: network.observationSize, actionSize: 1)
        var rng = RNG(seed: 9)
        for i in batch.observations.indices { batch.observations[i] = Float(rng.integer(below: 256)) }
        for i in 0..<16 {
            batch.actions[i] = Float(rng.integer(below: 2))
            batch.rewards[i] = Float(rng.uniform(0, 1))
            batch.logProbs[i] = -0.69
        }
        _ = trainer.train(on: [batch], update: 1, totalUpdates: 2)
        return trainer
    }

    @Test("a trained convolutional network is written, read back and resumed with its description, parameters, Adam state and statistics; its image values were never standardised")
    func roundTrip() throws {
        let trainer = Self.trainer()
        #expect(trainer.preprocessing.imageColumns == 2..<1_298)
        let checkpoint = Checkpoint(trainer: trainer, envID: "gym:ppo_test_envs:BrightSide-v0", envSteps: 16)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("conv-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try checkpoint.write(to: url)
        let read = try Checkpoint.read(from: url)
        #expect(read.network == Self.network)
        let resumed = read.makeTrainer()
        #expect(resumed.model is ConvolutionalActorCritic)
        #expect(resumed.model.flatParameters == trainer.model.flatParameters)
        #expect(resumed.updater.optimizer.step == trainer.updater.optimizer.step)
        #expect(resumed.observationNormalizer == trainer.observationNormalizer)
        var observation = (0..<Self.network.observationSize).map { Float($0 % 256) }
        observation.withUnsafeMutableBufferPointer { resumed.preprocessing.apply($0.baseAddress!, rows: 1) }
        #expect(observation[2...].elementsEqual((2..<Self.network.observationSize).map { Float($0 % 256) }), "pixels stay as they are")
        #expect(observation[0] != 0, "the vector key is standardised")
    }

    @Test("a network description that does not fit the file's tensors or its observation is refused, naming the metadata")
    func refusesAMismatchedDescription() throws {
        var checkpoint = Checkpoint(trainer: Self.trainer(), envID: "gym:ppo_test_envs:BrightSide-v0", envSteps: 16)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("conv-bad-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        var wider = Self.network
        if case .convolutional(let image, let convolutions, _) = wider.body {
            wider.body = .convolutional(image: image, convolutions: convolutions, hidden: 60_000)
        }
        var elsewhere = Self.network
        elsewhere.observationSize += 1
        for (network, words) in [(wider, "more than the file's"), (elsewhere, "does not fit observations of 1298 values")] {
            checkpoint.network = network
            try checkpoint.write(to: url)
            #expect {
                _ = try Checkpoint.read(from: url)
            } throws: { error in
                "\(error)".contains("metadata 'network'") && "\(error)".contains(words)
            }
        }
    }

    @Test("resuming or evaluating a convolutional checkpoint on observations without its image is refused, naming the image")
    func imageMustBeThere() throws {
        let checkpoint = Checkpoint(trainer: Self.trainer(), envID: "gym:ppo_test_envs:BrightSide-v0", envSteps: 16)
        var spec = EnvironmentSpec(
            id: "gym:ppo_test_envs:BrightSide-v0", observationSpace: .box(low: .init(repeating: 0, count: 1_298), high: .init(repeating: 255, count: 1_298)),
            actionSpace: .discrete(2), maxEpisodeSteps: 16, rewardThreshold: nil, stateNames: [])
        #expect {
            try CheckpointPolicy.checkResumable(checkpoint, environment: checkpoint.environment, spec: spec)
        } throws: { error in
            "\(error)".contains("the checkpoint's network reads an image 36×36 at value 2") && "\(error)".contains("no images")
        }
        if case .convolutional(let image, _, _) = Self.network.body { spec.images = [image] }
        try CheckpointPolicy.checkResumable(checkpoint, environment: checkpoint.environment, spec: spec)
    }

    @Test("a checkpoint from before network descriptions (no 'network' metadata) reads as the config's MLPs, and resumes as it was")
    func olderCheckpoint() throws {
        var config = PPOConfig.default
        config.hiddenSizes = [16, 8]
        config.activation = .relu
        let trainer = Trainer(observationSize: 3, actionSpace: .discrete(2), config: config, seed: 5)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("old-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: url) }
        try Checkpoint(trainer: trainer, envID: "CartPole-v1", envSteps: 0).write(to: url)
        let decoded = try SafeTensors.decode(Data(contentsOf: url))
        var metadata = decoded.metadata
        #expect(metadata.removeValue(forKey: "network") != nil)
        try SafeTensors.encode(decoded.tensors, metadata: metadata).write(to: url)
        let read = try Checkpoint.read(from: url)
        #expect(read.network == .separate(observationSize: 3, hiddenSizes: [16, 8], activation: .relu, head: .categorical(segments: [2])))
        #expect(read.makeTrainer().model.flatParameters == trainer.model.flatParameters)
    }
}
