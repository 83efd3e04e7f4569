import Environments
import Foundation
import PPOCore
import Testing
@testable import Training

@Suite("Checkpoint policy")
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
